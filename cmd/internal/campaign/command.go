// Package campaign is the campaign command, run by cmd/campaign (make fuzz)
// and by upcheck fuzz. The command runs upcheck's fuzzers for a while against the reference
// servers or the target in the UPCHECK_* settings, and says what they found.
// It is what make fuzz runs.
//
// It finds every native fuzz target (go test -list '^Fuzz' over the
// packages whose test files declare one), runs each in turn for -fuzztime
// (go test runs one -fuzz target per invocation), then runs the rapid
// properties (TestProperties in ./fuzz) for -checks cases each, with the
// rapid seed it prints.
//
// The default split of time: the campaign ends within -budget (5m). Against
// the reference in process, each native target fuzzes for 20s, guided by
// the coverage of the reference's own code, and the properties share what is
// left. Against an external target (UPCHECK_SERVER_CMD, UPCHECK_TCP or
// UPCHECK_UDP), coverage measures the harness, not the server, and the
// engine's mutations of raw bytes are random search: the native targets
// only run their seed corpora once (-fuzztime seeds: the boundary byte
// pairs, the sizes, the inputs saved under testdata/fuzz), and the rapid
// properties, which draw whole scripts (split writes, pauses, up to four
// connections with half-closes and resets, empty and oversized datagrams),
// get the rest of the budget, shared equally by time: -checks is then only a
// cap. A -fuzztime or -checks given, or FUZZTIME or RAPID_CHECKS set, is
// used as given. At the end it prints a summary: the target, each
// run's result and duration, and for each failure where it stays and the one
// command that replays it:
//
//   - a native target's failing input is written to
//     <package>/testdata/fuzz/<Target>/<hash>, where go test runs it again
//     as a regression test until it is removed;
//   - a property's failing case stays under fuzz/testdata/rapid/ (rapid's
//     fail file, replayed first by later runs; see -nofailfile);
//   - the network targets and properties also save the failing case as a
//     self-contained JSON script under fuzz/testdata/failures (or
//     UPCHECK_FUZZ_FAILURES), which cmd/replay runs against any target.
//
// It judges each run by what go test -json reports (the events of
// cmd/test2json: how each test ended, and its output), and shows that
// output as it comes, as go test -v prints it. While the properties run,
// it prints their progress to standard error every few seconds (cases
// done of the total, rate, failures, time left); the summary says what
// each property explored (cases, rate, and the cases that reached each
// protocol situation, those never reached marked) and shows each
// failure's minimal case as steps.
//
// A failure that did not repeat when run again is saved as
// <name>.unconfirmed.json and listed as unconfirmed: it does not fail the
// campaign.
//
// Settings come from the environment, as everywhere in upcheck:
// UPCHECK_SERVER_CMD, UPCHECK_TCP, UPCHECK_UDP, UPCHECK_UDP_MAX and
// UPCHECK_TIME_SCALE pass through to every run; FUZZTIME, RAPID_CHECKS,
// RAPID_SEED and RAPID_SHRINKTIME set the defaults of the flags of the same
// meaning.
//
// Durations: -fuzztime is a duration, not a count of executions, because
// the targets run at rates a thousandfold apart (the transform millions of
// inputs a second, a UDP exchange a few). Go up to at least 1.26 can end a
// duration-bounded run that found nothing with a spurious "context deadline
// exceeded" failure (golang/go#75804); the campaign counts such a run as a
// pass when it wrote no failing input and reported nothing else, and says
// so in the summary.
//
// campaign -list prints the native fuzz targets it would run, one name per
// line (the nightly workflow fuzzes each in a job of its own).
//
// Time: every case a run tries has a limit of its own, and a case that
// does not end within it is a finding ("stalled: no progress for ..."),
// saved and printed with its replay command like any other. With -budget,
// the whole campaign ends within it: each native target runs for what is
// left of it, at most -fuzztime; the properties stop drawing cases in time;
// a run still going at the end is stopped (SIGINT, then SIGKILL) and listed
// as cut, with what it had found by then.
//
// Exit status: 0 nothing found, 1 a run found a failure, 2 a usage or
// harness error (a build that failed, a target that would not start).
package campaign

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/upcheck/upcheck/suites/target"
)

// defaultTargets is -targets when it is not given: every native fuzz
// target but the fixtures of upcheck's own tests (fuzzspec.Fixtures).
const defaultTargets = "."

// The defaults of the campaign's time split (see the package doc).
const (
	// defaultBudget is -budget: make fuzz with no settings ends within it.
	defaultBudget = 5 * time.Minute
	// defaultFuzzTime is -fuzztime against the reference in process.
	defaultFuzzTime = 20 * time.Second
	// defaultChecks is -checks without a budget.
	defaultChecks = 1000
	// byTimeChecks is -checks with a budget: more than fit, so that the
	// properties run until their part of the budget is used.
	byTimeChecks = 1_000_000
)

// config is a campaign's settings, from flags and environment.
type config struct {
	fuzzTime   time.Duration
	seedsOnly  bool // run the native targets' seed corpora, without fuzzing
	minimize   time.Duration
	budget     time.Duration
	checks     int
	byTime     bool // -checks was not given: the properties run by time
	seed       uint64
	shrinkTime time.Duration
	targets    string // regexp on native target names
	properties string // regexp on property names
	pkgs       []string
	failures   string // UPCHECK_FUZZ_FAILURES for the runs; "" keeps the default
	noFailFile bool
	parallel   int
	goCmd      string
	dir        string // module root
	describe   string // the target, in the words of the report
}

// Run is the command with its arguments; the environment is the process's.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("campaign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: campaign [flags]   (settings: UPCHECK_*, FUZZTIME, RAPID_CHECKS, RAPID_SEED, RAPID_SHRINKTIME)")
		fmt.Fprint(stderr, `
By default the campaign ends within 5 minutes (-budget). Against the
reference in process each native fuzz target fuzzes for 20s, coverage-guided,
and the rapid properties share the rest. Against an external target
(UPCHECK_SERVER_CMD, UPCHECK_TCP, UPCHECK_UDP) coverage measures only the
harness: the native targets run their seed corpora once (-fuzztime seeds)
and the properties, which draw whole scripts, share the rest of the budget
by time. -fuzztime and -checks, when given, replace that split.

`)
		fs.PrintDefaults()
	}
	var c config
	fuzzTime := fs.String("fuzztime", "", "how long to fuzz each native target, a duration (FUZZTIME); \"seeds\" runs their seed corpora only; 0 skips them (default: 20s against the reference in process, seeds against an external target)")
	minimize := fs.String("minimizetime", "3s", "go test -fuzzminimizetime: how long to minimize each new input (the default 60s stalls network targets)")
	budget := fs.Duration("budget", defaultBudget, "end the campaign within this long (0: no limit): runs get what is left (a shorter -fuzztime; the properties stop drawing cases), one still going at the end is stopped, one with no time left is listed as skipped")
	checks := fs.String("checks", "", "rapid cases per property at most (RAPID_CHECKS); 0 skips the properties (default: as many as fit the -budget, shared by time; 1000 without a budget)")
	seed := fs.String("seed", "", "rapid seed (RAPID_SEED); default: a random one, printed")
	shrinkTime := fs.String("shrinktime", "5m", "how long rapid may shrink a failing case (RAPID_SHRINKTIME)")
	fs.StringVar(&c.targets, "targets", defaultTargets, "run the native fuzz targets whose names match this regexp (the fixtures of upcheck's own tests only when it is given)")
	fs.StringVar(&c.properties, "properties", ".", "run the rapid properties whose names match this regexp")
	pkgs := fs.String("pkgs", "./...", "packages to look for native fuzz targets in, space-separated")
	fs.StringVar(&c.failures, "failures", "", "directory for failing JSON cases (UPCHECK_FUZZ_FAILURES); default fuzz/testdata/failures")
	fs.BoolVar(&c.noFailFile, "nofailfile", false, "do not write rapid's fail files under fuzz/testdata/rapid")
	fs.IntVar(&c.parallel, "parallel", 0, "fuzzing worker processes per native target; 0 means GOMAXPROCS")
	fs.StringVar(&c.goCmd, "go", "go", "the go command")
	list := fs.Bool("list", false, "print the native fuzz targets that would run, one per line, and exit")
	// Environment first, so that a flag given on the command line wins.
	envOf := map[string]string{"fuzztime": "FUZZTIME", "checks": "RAPID_CHECKS", "seed": "RAPID_SEED", "shrinktime": "RAPID_SHRINKTIME", "failures": "UPCHECK_FUZZ_FAILURES"}
	for name, v := range envOf {
		if e := os.Getenv(v); e != "" {
			fs.Lookup(name).Value.Set(e)
		}
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "campaign: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	// bad reports a bad value by the name the user gave it: the flag, or
	// the environment variable it came from.
	bad := func(name, format string, args ...any) int {
		what := "-" + name
		if v, ok := envOf[name]; ok && !given[name] && os.Getenv(v) != "" {
			what = v
		}
		fmt.Fprintf(stderr, "campaign: %s: %s\n", what, fmt.Sprintf(format, args...))
		return 2
	}
	if c.budget = *budget; c.budget < 0 {
		return bad("budget", "%v is negative", c.budget)
	}
	s, err := target.FromEnv()
	if err == nil {
		err = s.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "campaign: %v\n", err)
		return 2
	}
	external := s.ServerCmd != "" || s.TCP != "" || s.UDP != ""
	switch {
	case *fuzzTime == "" && external, *fuzzTime == "seeds":
		c.seedsOnly = true
	case *fuzzTime == "":
		c.fuzzTime = defaultFuzzTime
	default:
		if c.fuzzTime, err = time.ParseDuration(*fuzzTime); err != nil || c.fuzzTime < 0 {
			return bad("fuzztime", "%q is not a duration such as 20s or 5m, nor seeds", *fuzzTime)
		}
	}
	if c.minimize, err = time.ParseDuration(*minimize); err != nil || c.minimize < 0 {
		return bad("minimizetime", "%q is not a duration such as 3s", *minimize)
	}
	switch {
	case *checks == "" && c.budget > 0:
		c.checks, c.byTime = byTimeChecks, true
	case *checks == "":
		c.checks = defaultChecks
	default:
		if c.checks, err = strconv.Atoi(*checks); err != nil || c.checks < 0 {
			return bad("checks", "%q is not a number of cases", *checks)
		}
	}
	if c.shrinkTime, err = time.ParseDuration(*shrinkTime); err != nil || c.shrinkTime <= 0 {
		return bad("shrinktime", "%q is not a duration such as 5m", *shrinkTime)
	}
	if *seed == "" {
		c.seed = rand.Uint64() >> 1
	} else if c.seed, err = strconv.ParseUint(*seed, 10, 63); err != nil {
		return bad("seed", "%q is not a seed (a number below 2^63)", *seed)
	}
	if c.pkgs = splitFields(*pkgs); len(c.pkgs) == 0 {
		return bad("pkgs", "no packages")
	}
	for _, re := range []struct{ name, v string }{{"targets", c.targets}, {"properties", c.properties}} {
		if _, err := compile(re.v); err != nil {
			return bad(re.name, "%v", err)
		}
	}
	if c.failures != "" {
		abs, err := absPath(c.failures)
		if err != nil {
			return bad("failures", "%v", err)
		}
		c.failures = abs
	}

	c.describe = s.Describe()
	if c.dir, err = moduleRoot(ctx, c.goCmd); err != nil {
		fmt.Fprintf(stderr, "campaign: %v\n", err)
		return 2
	}
	if *list {
		ts, err := discover(ctx, &c)
		if err != nil {
			fmt.Fprintf(stderr, "campaign: %v\n", err)
			return 2
		}
		for _, t := range ts {
			fmt.Fprintln(stdout, t.name)
		}
		return 0
	}
	return campaign(ctx, &c, stdout, stderr)
}
