// Package spec is upcheck's conformance suite: a ginkgo spec for each case
// of check.Table, labelled with its requirement ID and protocol, run against
// the target the settings of CONTRACT.md name (the reference servers in
// process when none is set). At the end it prints the conformance report in
// the terminal, writes it where UPCHECK_REPORT and UPCHECK_JUNIT say, and
// sums it up in one line on standard error. Requirements declared expected
// failures (UPCHECK_EXPECT_FAIL) do not fail the run; one of them that
// passes does.
//
// Importing the package declares the specs; Run runs them. Both the test
// of package suites (go test ./suites, go tool ginkgo ./suites) and
// upcheck check run them so:
//
//	go tool ginkgo ./suites
//	go tool ginkgo --label-filter=TCP-EOF ./suites
//	go tool ginkgo ./suites -- -server-cmd 'python3 server.py {tcp} {udp}'
//	go tool ginkgo ./suites -- -expect-fail TCP-EOF -junit reports/junit.xml
//	upcheck check --only TCP-EOF --server-cmd 'python3 server.py {tcp} {udp}'
package spec

import (
	"cmp"
	"context"
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
	// expected are the requirements the user declared expected to fail
	// (UPCHECK_EXPECT_FAIL), ID → reason; every process reads them.
	expected map[string]string
	// findings are the faults the checks have confirmed so far, shared by
	// every process (see check.Findings).
	findings *check.Findings
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
// starting and probing the target. It is scaled inside the node, not with
// NodeTimeout: a node's decorators are fixed when the tree is built,
// before --time-scale is parsed.
const startTimeout = 60 * time.Second

var _ = SynchronizedBeforeSuite(func(sctx SpecContext) []byte {
	ctx, cancel := context.WithTimeout(sctx, scaled(startTimeout))
	defer cancel()
	if flagErr != nil {
		harnessFail(flagErr)
	}
	if envErr != nil {
		harnessFail(envErr)
	}
	if _, err := expectedFailures(); err != nil {
		harnessFail(err)
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
	expected, _ = expectedFailures() // process 1 has checked them
	f, err := target.Follow(string(path))
	if err != nil {
		harnessFail(err)
	}
	shared = f
	// What one process's checks confirm about the server spares the
	// others the same waits.
	findings = check.NewFindings(filepath.Join(filepath.Dir(string(path)), "findings"))
})

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

// The conformance report: printed, written where the settings say, and
// summed up in one line on standard error. The suite's exit status follows
// CONTRACT.md as far as ginkgo lets it: a spec whose only violations are
// expected failures passes (see verify), so a run whose every failure is
// expected exits 0; an expected failure that passes fails the suite here,
// with a line that says so. (Ginkgo exits 1 for any failure: a harness
// error exits 1 here, and the report's harness_error or error statuses
// tell it apart; report.Report.ExitStatus gives the contract's 2.)
var _ = ReportAfterSuite("conformance report", func(r Report) {
	rep := report.Build(r, settings.Describe())
	xf, _ := expectedFailures() // a bad setting is the report's harness error
	rep.Expect(xf)
	last = rep
	fmt.Fprint(os.Stdout, "\n"+rep.Markdown())
	var problems []string
	written := ""
	if settings.Report != "" {
		js, md, err := report.Write(reportPath(settings.Report), rep)
		if err != nil {
			problems = append(problems, harnessPrefix+err.Error())
		} else {
			written = js
			fmt.Fprintf(os.Stdout, "conformance report: %s, %s, %s\n", js, md, report.HTMLPath(js))
		}
	}
	if settings.JUnit != "" {
		path := reportPath(settings.JUnit)
		if err := report.WriteJUnit(path, rep); err != nil {
			problems = append(problems, harnessPrefix+err.Error())
		} else {
			fmt.Fprintf(os.Stdout, "JUnit report: %s\n", path)
		}
	}
	fmt.Fprintln(os.Stderr, rep.Line(written)) // names a harness error too
	problems = append(problems, rep.XPasses()...)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		Fail(strings.Join(problems, "\n"))
	}
})

// expectedFailures reads the expected failures the settings declare; a
// relative @FILE is read from the module's root, as the report's path is.
func expectedFailures() (map[string]string, error) {
	return settings.ExpectedFailures(reportPath("."))
}

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
func env() check.Env {
	e := shared.Env(logf)
	e.Findings = findings
	return e
}

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
func verify(ctx context.Context, c check.Case, err error) {
	GinkgoHelper()
	id := string(c.Req)
	req, ok := c.Req.Requirement()
	Expect(ok).To(BeTrue(), "unknown requirement %q", id)
	o, down := outcome(id, err)
	if down != nil {
		if n, ok := diesOn(ctx, c); ok {
			// The server, restarted, went away again on n's event
			// alone, which the case causes too: it is n's violation,
			// and the case's own requirement is not judged.
			GinkgoWriter.Printf("%s\nwhat the clients saw:\n%s\n", down.Error(), o.Violations.Error())
			o.Violations = check.Violations{{ID: string(n), Case: c.Name,
				Expected: "the server to survive the " + string(n) + " events the case causes too",
				Observed: down.Headline() + ", and again, restarted, on one " + string(n) + " event alone"}}
			o.Server, down = "", nil
		} else if down.Unserved && c.Req != check.ReqTCPChurn && c.Proto() == "tcp" && passesAgain(ctx, c) {
			// The server stopped serving new connections, and the case
			// passes on the server restarted: what wore it out was the
			// connections of the run before the case, not the case.
			// Serving many connections over time is TCP-CHURN's rule.
			// (A server that exits is not given this second look: a
			// case whose events kill it only at times would pass.)
			GinkgoWriter.Printf("%s\nwhat the clients saw:\n%s\n", down.Error(), o.Violations.Error())
			o.Violations = check.Violations{{ID: string(check.ReqTCPChurn), Case: c.Name,
				Expected: "the server to keep serving new connections over the run",
				Observed: down.Headline() + ", and the case passed when run again on the server restarted"}}
			o.Server, down = "", nil
		}
	}
	if req.Level == check.Must && waived(id, o, down != nil) {
		// Every failure the spec saw was declared expected: the report
		// judges it failed (xfail), the run goes on as if it passed.
		o.Waived = true
		AddReportEntry(report.EntryName, o, ReportEntryVisibilityNever)
		GinkgoWriter.Printf("expected failure of %s:\n%s\n", strings.Join(o.Violations.IDs(), ", "), cmp.Or(o.Server, o.Violations.Error()))
		return
	}
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

// diesOn causes, one at a time, the events of the requirements case c
// needs (check.Provoke) on the server just restarted after it went away
// during c, and returns the first that made it go away again.
func diesOn(sctx context.Context, c check.Case) (check.Req, bool) {
	for _, n := range c.Needs {
		ctx, cancel := context.WithTimeout(sctx, scaled(provokeTimeout))
		provoked := check.Provoke(ctx, env(), n)
		cancel()
		if !provoked {
			continue
		}
		var down *target.DownError
		if errors.As(health(string(c.Req)), &down) {
			return n, true
		}
	}
	return "", false
}

// passesAgain runs case c again on the server restarted after it went
// away during c, and reports whether it passed, the server staying up.
func passesAgain(ctx context.Context, c check.Case) bool {
	err := c.Run(ctx, env())
	if err != nil || ctx.Err() != nil {
		return false
	}
	return health(string(c.Req)) == nil
}

// provokeTimeout bounds one check.Provoke.
const provokeTimeout = 5 * time.Second

// waived reports whether every failure in o, the outcome of a spec of
// requirement id, is an expected failure: the server went away while id,
// an expected failure, was checked, or each violation is of one. A harness
// error is never waived: it is no verdict.
func waived(id string, o report.Outcome, down bool) bool {
	if o.Harness != "" {
		return false
	}
	if down {
		_, ok := expected[id]
		return ok
	}
	ids := o.Violations.IDs()
	for _, v := range ids {
		if _, ok := expected[v]; !ok {
			return false
		}
	}
	return len(ids) > 0
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
