package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/spec"
	"github.com/upcheck/upcheck/suites/target"
	"strings"
)

// checkOptions are upcheck check's flags beyond the settings of the
// contract, which target.Settings registers.
type checkOptions struct {
	only, skip string
	seed       string
	verbose    bool
}

// runCheck is upcheck check: the specs of suites/spec, run in process by
// ginkgo, against the target the settings name. It returns the exit status
// of the contract, read from the conformance report.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upcheck check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	settings, err := target.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "upcheck check: %v\n", err)
		return exitUsage
	}
	settings.RegisterFlags(fs)
	var o checkOptions
	fs.StringVar(&o.only, "only", "", "run only these `IDs`: requirement IDs (TCP-EOF) or protocols (tcp, udp), comma-separated")
	fs.StringVar(&o.skip, "skip", "", "leave out these `IDs`: requirement IDs or protocols, comma-separated")
	fs.StringVar(&o.seed, "seed", "", "the random `seed` of the cases and their order, to repeat a run (the report gives it)")
	fs.BoolVar(&o.verbose, "v", false, "print every spec as it runs, with its log")
	fs.Usage = func() { checkUsage(fs) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "upcheck check: unexpected argument %q (a server command goes in --server-cmd, quoted)\n", fs.Arg(0))
		return exitUsage
	}
	if err := settings.Validate(); err != nil {
		fmt.Fprintf(stderr, "upcheck check: %v\n", err)
		return exitUsage
	}
	filter, err := labelFilter(o.only, o.skip)
	if err != nil {
		fmt.Fprintf(stderr, "upcheck check: %v\n", err)
		return exitUsage
	}
	if o.seed != "" {
		if _, err := strconv.ParseInt(o.seed, 10, 64); err != nil {
			fmt.Fprintf(stderr, "upcheck check: -seed: %q is not a number\n", o.seed)
			return exitUsage
		}
	}
	// The server command runs, and the report is written, where upcheck
	// is run: not at the root of a Go module above it.
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "upcheck check: %v\n", err)
		return exitUsage
	}
	settings.Dir = wd
	if settings.Report != "" && !filepath.IsAbs(settings.Report) {
		settings.Report = filepath.Join(wd, settings.Report)
	}
	if settings.JUnit != "" && !filepath.IsAbs(settings.JUnit) {
		settings.JUnit = filepath.Join(wd, settings.JUnit)
	}
	if f, ok := strings.CutPrefix(settings.ExpectFail, "@"); ok && !filepath.IsAbs(f) {
		settings.ExpectFail = "@" + filepath.Join(wd, f)
	}

	// Ginkgo reads its configuration from its flags on flag.CommandLine,
	// bound at its init: set them as the ginkgo CLI would.
	ginkgo := map[string]string{"ginkgo.label-filter": filter, "ginkgo.seed": o.seed}
	if o.verbose {
		ginkgo["ginkgo.v"] = "true"
	}
	if os.Getenv("NO_COLOR") != "" || !isTerminal(os.Stdout) {
		ginkgo["ginkgo.no-color"] = "true"
	}
	for name, v := range ginkgo {
		if v == "" {
			continue
		}
		if err := flag.CommandLine.Set(name, v); err != nil {
			fmt.Fprintf(stderr, "upcheck check: %s: %v\n", name, err)
			return exitUsage
		}
	}
	spec.Use(settings)
	var t suiteT
	rep := spec.Run(&t)
	return exitStatus(rep, t.failed)
}

// suiteT is the testing.T of an in-process ginkgo run: it records that the
// run failed.
type suiteT struct{ failed bool }

func (t *suiteT) Fail() { t.failed = true }

// exitStatus is the exit status of the contract for a conformance report
// (report.Report.ExitStatus: 0 every MUST passed or failed as expected, 1
// a MUST failed or an expected failure passed, 2 the harness could not
// judge). failed says that ginkgo's run failed: when the report holds no
// reason, that is the harness's (2). The suite has printed the report's
// one-line summary on standard error.
func exitStatus(rep report.Report, failed bool) int {
	if len(rep.Requirements) == 0 {
		return exitUsage
	}
	code := rep.ExitStatus()
	if failed && code == exitPass {
		return exitUsage
	}
	return code
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func checkUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: upcheck check [flags]

Runs the conformance suite against one server and prints the report: one row
per requirement of SEMANTICS.md. Fix the first failed row first: it names the
requirement, what was expected, what the server did, and where.

  upcheck check --server-cmd 'node server.js --tcp {tcp} --udp {udp}'
  upcheck check --tcp 127.0.0.1:9000 --udp 127.0.0.1:9000
  upcheck check --only TCP-EOF,udp --report reports/conformance.json

The harness starts --server-cmd in this directory with free ports in place of
{tcp} and {udp} ({host} is the address it listens on), waits until the server
answers, and stops it at the end. Each flag also comes from its environment
variable (UPCHECK_SERVER_CMD, ...); the flag wins. Flags take one dash or two.

Exit status: 0 every MUST requirement passed; 1 a MUST requirement failed;
2 a usage or harness error (a bad setting, a server that never came up).

Flags:
`)
	fs.PrintDefaults()
}
