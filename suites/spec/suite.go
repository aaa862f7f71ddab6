// Package spec is upcheck's conformance suite: a ginkgo spec for each case
// of check.Table, labelled with its requirement ID and protocol, run against
// the target the settings of CONTRACT.md name (the reference servers in
// process when none is set). At the end it prints the conformance report in
// the terminal and writes it where UPCHECK_REPORT says.
//
// Importing the package declares the specs; Run runs them. Both the test
// of package suites (go test ./suites, go tool ginkgo ./suites) and
// upcheck check run them so:
//
//	go tool ginkgo ./suites
//	go tool ginkgo --label-filter=TCP-EOF ./suites
//	go tool ginkgo ./suites -- -server-cmd 'python3 server.py {tcp} {udp}'
//	upcheck check --only TCP-EOF --server-cmd 'python3 server.py {tcp} {udp}'
package spec

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/format"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/target"
)

// harnessPrefix starts every message about a problem of the harness rather
// than of the server, so the two are told apart at a glance.
const harnessPrefix = report.HarnessPrefix

var (
	// settings are the user's settings: the environment, then the flags
	// given after "--".
	settings target.Settings
	// envErr is a setting of the environment that does not parse; it is
	// reported by the suite's setup, as a harness error.
	envErr error

	// tgt is the running target; only process 1 has it, and shares it
	// with the other processes through a file.
	tgt *target.Target
	// shared is the target as every process sees it: where it listens
	// now (process 1 restarts a server that dies, maybe on other ports),
	// and whether it is lost (it died and could not be restarted: the
	// specs after it cannot be judged).
	shared *target.Follower
	// shareDir holds the file process 1 shares the target through.
	shareDir string
)

func init() {
	settings, envErr = target.FromEnv()
	registerFlags(flag.CommandLine, &settings)
	// A check's error is its list of violations, one per line: show that
	// text in a failure, not the struct behind it.
	format.RegisterCustomFormatter(func(v any) (string, bool) {
		switch v.(type) {
		case check.Violations, *check.Violation:
			return "(the violations above)", true
		}
		return "", false
	})
}

// registerFlags defines the settings' flags on fs. A bad value does not
// stop the flag parsing with a page of usage: it is kept, and the suite's
// setup reports it as a one-line harness error, like a bad variable.
func registerFlags(fs *flag.FlagSet, s *target.Settings) {
	own := flag.NewFlagSet("upcheck", flag.ContinueOnError)
	s.RegisterFlags(own)
	own.VisitAll(func(f *flag.Flag) {
		fs.Var(deferredFlag{f}, f.Name, f.Usage)
	})
}

// flagErr is the first bad flag value given.
var flagErr error

// deferredFlag is a flag whose bad values are kept in flagErr rather than
// returned to the flag parser.
type deferredFlag struct{ f *flag.Flag }

func (d deferredFlag) String() string {
	if d.f == nil {
		return ""
	}
	return d.f.Value.String()
}

func (d deferredFlag) Set(v string) error {
	if err := d.f.Value.Set(v); err != nil && flagErr == nil {
		flagErr = fmt.Errorf("-%s: %w", d.f.Name, err)
	}
	return nil
}

// Run runs the conformance suite's specs with ginkgo's configuration (its
// -ginkgo.* flags, or the ginkgo CLI's), reports a failed run to t, and
// returns the conformance report it printed: the one the verdict and exit
// status are read from. It runs once a process.
func Run(t GinkgoTestingT) report.Report {
	RegisterFailHandler(Fail)
	RunSpecs(t, Description)
	return last
}

// Description is the suite's name in ginkgo's output.
const Description = "upcheck conformance"

// Use replaces the settings read from the environment and flags at init
// with s, for a command that reads them itself; call it before Run.
func Use(s target.Settings) {
	settings, envErr, flagErr = s, nil, nil
}

// last is the conformance report of the run, built at its end.
var last report.Report

// scaled multiplies a spec's timeout by the time scale.
func scaled(d time.Duration) time.Duration { return settings.Scale(d) }

// startTimeout bounds the suite's setup: validating the settings and
// starting and probing the target.
const startTimeout = 60 * time.Second

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	if flagErr != nil {
		harnessFail(flagErr)
	}
	if envErr != nil {
		harnessFail(envErr)
	}
	log := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t, err := target.Start(ctx, settings, log) // validates the settings
	if err != nil {
		harnessFail(err)
	}
	tgt = t
	e := t.Env(nil)
	GinkgoWriter.Printf("target: %s (tcp %q, udp %q)\n", settings.Describe(), e.TCP, e.UDP)
	shareDir, err = os.MkdirTemp("", "upcheck-target-")
	if err != nil {
		harnessFail(err)
	}
	path := filepath.Join(shareDir, "target.json")
	if err := t.Share(path); err != nil {
		harnessFail(err)
	}
	return []byte(path)
}, func(path []byte) {
	f, err := target.Follow(string(path))
	if err != nil {
		harnessFail(err)
	}
	shared = f
}, NodeTimeout(scaled(startTimeout)))

var _ = SynchronizedAfterSuite(func() {}, func() {
	if shareDir != "" {
		defer os.RemoveAll(shareDir)
	}
	if tgt != nil {
		err := tgt.Close()
		tgt = nil
		Expect(err).NotTo(HaveOccurred(), "stopping the target")
	}
})

// harnessFail ends the suite's setup with a harness error: the message's
// first line names the problem, the server's last output follows.
func harnessFail(err error) {
	GinkgoHelper()
	msg := harnessPrefix + err.Error()
	var he *target.HarnessError
	if errors.As(err, &he) && he.Output != "" {
		msg += "\nlast output of the server command:\n" + he.Output
	}
	Fail(msg)
}

var _ = BeforeEach(func() {
	sr := CurrentSpecReport()
	e := shared.Env(nil)
	switch lost := shared.Lost(); {
	case lost != nil:
		// The server is gone for good: nothing more can be judged. The
		// run ends here; the report marks what was left as not judged.
		id := requirementOf(sr)
		AddReportEntry(report.EntryName, report.Outcome{ID: id, Harness: lost.Error()}, ReportEntryVisibilityNever)
		AbortSuite(harnessPrefix + lost.Error())
	case slices.Contains(sr.Labels(), "tcp") && e.TCP == "":
		Skip("TCP not configured: UDP-only target")
	case slices.Contains(sr.Labels(), "udp") && e.UDP == "":
		Skip("UDP not configured: TCP-only target")
	}
})

// After every spec, process 1 checks that the target survived it (verify
// has done so already for the specs that got that far): a server that died
// fails the spec that was checking it, and is restarted for the next one.
var _ = AfterEach(func() {
	if err := health(requirementOf(CurrentSpecReport())); err != nil {
		Fail(err.Error())
	}
})

// health asks the target, on process 1, whether the server went away while
// requirement id was checked; the target restarts a server command that
// died. It returns nil when the server is well (or on other processes,
// which leave the target to process 1), the *target.DownError that says
// what happened, or a harness error once the server cannot be judged any
// more.
//
// A server restarted on other ports, or lost for good, is shared with the
// other processes by the target itself.
func health(id string) error {
	if tgt == nil || tgt.Lost() != nil {
		return nil
	}
	err := tgt.Healthy(id)
	if err == nil {
		return nil
	}
	var down *target.DownError
	if errors.As(err, &down) {
		return down
	}
	return fmt.Errorf("%s%w", harnessPrefix, err)
}

var _ = ReportAfterSuite("conformance report", func(r Report) {
	rep := report.Build(r, settings.Describe())
	last = rep
	fmt.Fprint(os.Stdout, "\n"+rep.Markdown())
	if settings.Report != "" {
		js, md, err := report.Write(reportPath(settings.Report), rep)
		if err != nil {
			fmt.Fprintln(os.Stdout, harnessPrefix+err.Error())
			Fail(harnessPrefix + err.Error())
		}
		fmt.Fprintf(os.Stdout, "conformance report: %s, %s\n", js, md)
	}
	if rep.HarnessError != "" {
		fmt.Fprintln(os.Stdout, harnessPrefix+rep.HarnessError)
	}
})

// reportPath resolves a relative report path against the module's root
// (the directory holding go.mod), where `make conformance` and
// `go tool ginkgo ./suites` are run from: the suite itself runs in its
// package's directory.
func reportPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	root, err := target.ModuleRoot()
	if err != nil {
		return p
	}
	return filepath.Join(root, p)
}

// requirementOf returns the requirement ID among a spec's labels.
func requirementOf(sr SpecReport) string {
	for _, l := range sr.Labels() {
		if _, ok := check.Lookup(l); ok {
			return l
		}
	}
	return ""
}

// env is where and how the checks find the target now.
func env() check.Env { return shared.Env(logf) }

// maxLogLines bounds what one spec logs: the checks log every connection,
// and a spec that makes thousands would bury its failure.
const maxLogLines = 100

// logLines counts the current spec's log lines.
var logLines atomic.Int64

var _ = BeforeEach(func() { logLines.Store(0) })

// logf is the checks' Logf: ports and timings go to the spec's output,
// shown when it fails (or with -v).
func logf(format string, args ...any) {
	switch n := logLines.Add(1); {
	case n <= maxLogLines:
		GinkgoWriter.Printf(format+"\n", args...)
	case n == maxLogLines+1:
		GinkgoWriter.Printf("(further log lines of this spec left out)\n")
	}
}

// verify hands what case c's check found to the conformance report and
// judges the spec: a violation of a MUST requirement fails it, with the
// violations (requirement, case, expected, observed, where) as the failure
// text; SHOULD findings are reported only. A server that went away during
// the check fails the spec with that as the headline. An error that holds
// no violation means the check could not judge: a harness error.
func verify(c check.Case, err error) {
	GinkgoHelper()
	id := string(c.Req)
	_, ok := c.Req.Requirement()
	Expect(ok).To(BeTrue(), "unknown requirement %q", id)
	o, down := outcome(id, err)
	AddReportEntry(report.EntryName, o, ReportEntryVisibilityNever)
	switch {
	case down != nil:
		msg := down.Error()
		if len(o.Violations) > 0 {
			msg += "\nwhat the clients saw:\n" + o.Violations.Error()
		}
		Fail(msg)
	case o.Harness != "":
		Fail(harnessPrefix + o.Harness)
	}
	if c.Level() != check.Must {
		if err != nil {
			GinkgoWriter.Printf("%s (%s: reported, does not fail the run):\n%s\n", id, c.Level(), err)
		}
		return
	}
	Expect(o.Violations.Err()).NotTo(HaveOccurred())
}

// observe hands an INFO case's observation to the report: what the check
// found, or the case's Seen when it found nothing to remark on. It never
// fails the spec: even a server that went away during it is an observation
// (and is restarted for the next spec).
func observe(c check.Case, err error) {
	id := string(c.Req)
	o, _ := outcome(id, err)
	if err == nil {
		o.Observed = c.Seen
	}
	AddReportEntry(report.EntryName, o, ReportEntryVisibilityNever)
	GinkgoWriter.Printf("%s (INFO): %s\n", id, cmp.Or(o.Server, o.Harness, errText(err), c.Seen))
}

// outcome is what a check found about requirement id, with what happened
// to the server meanwhile: the *target.DownError when it went away. A check
// error that holds no violation, or a target that can no longer be judged,
// is a harness error.
func outcome(id string, err error) (report.Outcome, *target.DownError) {
	o := report.Outcome{ID: id, Violations: check.AsViolations(err)}
	if err != nil && len(o.Violations) == 0 {
		o.Harness = err.Error()
	}
	herr := health(id)
	var down *target.DownError
	switch {
	case errors.As(herr, &down):
		o.Server = down.Headline()
	case herr != nil:
		o.Harness = strings.TrimPrefix(herr.Error(), harnessPrefix)
	}
	return o, down
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
