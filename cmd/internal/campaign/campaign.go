package campaign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

// status is how a run ended.
type status int

const (
	passed  status = iota
	failed         // the run found a failure
	broken         // the run could not do its job: a build failed, the target did not start
	skipped        // the run was left out to keep within -budget
	cut            // the run was stopped at -budget, having found nothing by then
)

func (s status) String() string { return [...]string{"ok", "FAIL", "ERROR", "skip", "cut"}[s] }

// How the campaign keeps within -budget.
const (
	// endMargin is the part of the budget kept for stopping a run cut at
	// the budget and printing the summary.
	endMargin = 5 * time.Second
	// stopGrace is how long a go test run has to end after SIGINT, at the
	// budget, before its process group is killed.
	stopGrace = 3 * time.Second
	// firstOverhead is a guess, before any run was timed, of what a go
	// test run takes beyond its -fuzztime: building, starting workers and
	// the target, stopping.
	firstOverhead = 15 * time.Second
	// minFuzzTime is the shortest -fuzztime worth a run: shorter, the run
	// is left out.
	minFuzzTime = 2 * time.Second
)

// perCheck is a generous guess of one property case against a conforming
// server, for -budget: a UDP case listens 300 ms for extra datagrams.
const perCheck = 400 * time.Millisecond

// result is what one run (a fuzz target, or the properties) came to.
type result struct {
	name     string
	status   status
	note     string // about a pass, or why a run is broken
	took     time.Duration
	findings []finding
	explored []fuzzspec.Explored // what each property covered
}

// finding is one failure a run found, and how to get at it again.
type finding struct {
	name     string   // the target or property
	headline string   // the failure, as reported
	stays    []string // files that keep it, relative to the module root
	rerun    string   // the go test command that runs it again
	replay   string   // the cmd/replay command, for any target
	script   string   // the failing case as steps, a line per connection or socket
}

// campaign runs everything c asks for and prints the summary to w, and the
// progress of the properties to progressW (the terminal); it returns the
// exit status.
func campaign(ctx context.Context, c *config, w, progressW io.Writer) int {
	start := time.Now()
	fmt.Fprintf(w, "campaign: target %s\n", c.describe)
	fmt.Fprintf(w, "campaign: rapid seed %d (repeat with RAPID_SEED=%d), %s; %s\n",
		c.seed, c.seed, c.checksText(), c.fuzzTimeText())
	var results []result
	// With -budget, every run is stopped at the budget's end (less
	// endMargin, for the summary): budget is the campaign's context, with
	// that deadline; runs get a -fuzztime, a -timeout and a shrink time
	// that fit in what is left.
	budget := ctx
	var end time.Time
	if c.budget > 0 {
		end = start.Add(c.budget - min(endMargin, c.budget/10))
		var cancel context.CancelFunc
		budget, cancel = context.WithDeadline(ctx, end)
		defer cancel()
	}
	skip := func(name string) result {
		return result{name: name, status: skipped, note: fmt.Sprintf("left out: it would end the campaign past -budget %s", c.budget)}
	}
	overhead := firstOverhead
	if c.fuzzTime > 0 || c.seedsOnly {
		targets, err := discover(budget, c)
		if err != nil {
			results = append(results, result{name: "discovery", status: broken, note: err.Error()})
		}
		for _, t := range targets {
			fuzzTime := c.fuzzTime
			if !end.IsZero() {
				fuzzTime = min(fuzzTime, time.Until(end)-overhead)
			}
			switch {
			case ctx.Err() != nil:
			case c.seedsOnly:
				if !end.IsZero() && time.Until(end) < overhead {
					results = append(results, skip(t.label()))
					continue
				}
				results = append(results, seedsRun(budget, c, t, end, w))
			case fuzzTime < min(minFuzzTime, c.fuzzTime):
				results = append(results, skip(t.label()))
			default:
				r := fuzzRun(budget, c, t, fuzzTime, end, w)
				results = append(results, r)
				if r.status == passed || r.status == failed {
					overhead = max(r.took-fuzzTime, time.Second)
				}
			}
		}
	}
	if c.checks > 0 && ctx.Err() == nil {
		if !end.IsZero() && time.Until(end) < overhead+perCheck*3 {
			results = append(results, skip("fuzz.TestProperties"))
		} else {
			results = append(results, propertiesRun(budget, c, end, w, progress{w: progressW, end: end, now: time.Now}))
		}
	}
	unconfirmed := unconfirmedSince(c, start)
	return summary(w, c, results, unconfirmed, time.Since(start), ctx.Err() != nil)
}

// fuzzRun runs the native target t for fuzzTime. end, if not zero, is when
// the run must be over: its cases end by then, and ctx stops it there.
func fuzzRun(ctx context.Context, c *config, t fuzzTarget, fuzzTime time.Duration, end time.Time, w io.Writer) result {
	fmt.Fprintf(w, "\n=== fuzz %s (%s)\n", t.label(), fuzzTime)
	corpus := filepath.Join(t.dir, "testdata", "fuzz", t.name)
	before := listDir(corpus)
	args := []string{"test", "-run=^$", "-fuzz=^" + regexp.QuoteMeta(t.name) + "$",
		"-fuzztime=" + fuzzTime.String(), "-fuzzminimizetime=" + c.minimize.String(),
		"-timeout=" + (fuzzTime + 10*time.Minute).String()}
	if c.parallel > 0 {
		args = append(args, "-parallel="+strconv.Itoa(c.parallel))
	}
	args = append(args, t.pkg)
	start := time.Now()
	run, code, err := goTest(ctx, c, w, nil, endEnv(end), args...)
	r := result{name: t.label(), took: time.Since(start)}
	added := newFiles(before, listDir(corpus))
	if errors.Is(err, errBudget) {
		return cutShort(r, c, func() (status, string, []finding) { return judgeFuzz(c, t, run, code, added) })
	}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	r.status, r.note, r.findings = judgeFuzz(c, t, run, code, added)
	return r
}

// seedsRun runs the seed corpus of the native target t once, without
// fuzzing: its F.Add seeds and the inputs under testdata/fuzz, each a
// subtest. end, if not zero, is when the run must be over.
func seedsRun(ctx context.Context, c *config, t fuzzTarget, end time.Time, w io.Writer) result {
	fmt.Fprintf(w, "\n=== seeds of %s\n", t.label())
	timeout := 10 * time.Minute
	if !end.IsZero() {
		timeout = time.Until(end) + time.Minute
	}
	args := []string{"test", "-count=1", "-run=^" + regexp.QuoteMeta(t.name) + "$", "-timeout=" + timeout.String(), t.pkg}
	start := time.Now()
	run, code, err := goTest(ctx, c, w, nil, endEnv(end), args...)
	r := result{name: t.label() + " (seeds)", took: time.Since(start)}
	if errors.Is(err, errBudget) {
		return cutShort(r, c, func() (status, string, []finding) { return judgeFuzz(c, t, run, code, nil) })
	}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	r.status, r.note, r.findings = judgeFuzz(c, t, run, code, nil)
	return r
}

// checksText says how many cases each property runs.
func (c *config) checksText() string {
	if c.byTime {
		return "properties by time (each an equal part of what is left of -budget)"
	}
	return fmt.Sprintf("%d checks per property", c.checks)
}

// fuzzTimeText says what the native fuzz targets do.
func (c *config) fuzzTimeText() string {
	switch {
	case c.seedsOnly:
		return "native fuzz targets: their seed corpora only (external target)"
	case c.fuzzTime == 0:
		return "native fuzz targets skipped"
	}
	return fmt.Sprintf("FUZZTIME=%s per fuzz target", c.fuzzTime)
}

// propertiesRun runs the rapid properties whose names match c.properties:
// the subtests of TestProperties in ./fuzz. end, if not zero, is when the
// run must be over: the properties stop drawing cases in time for it
// (fuzz's UPCHECK_FUZZ_END), and ctx stops the run there. Their progress
// goes to prog as it comes.
func propertiesRun(ctx context.Context, c *config, end time.Time, w io.Writer, prog progress) result {
	fmt.Fprintf(w, "\n=== properties matching %q (%s, seed %d)\n", c.properties, c.checksText(), c.seed)
	timeout := 30*time.Minute + time.Duration(c.checks)*2*time.Second + 2*c.shrinkTime
	shrinkTime := c.shrinkTime
	if !end.IsZero() {
		// The test binary starts after the build: its -timeout could end
		// past the budget. The end itself goes in the environment, and
		// -timeout only backs it up.
		left := time.Until(end)
		timeout = left + time.Minute
		shrinkTime = max(min(shrinkTime, left/4), time.Second)
	}
	// Flags the go command does not know go to the test binary, after the
	// package and only in their -flag=value form.
	args := []string{"test", "./fuzz", "-count=1", "-run=^TestProperties$/" + c.properties,
		"-timeout=" + timeout.String(), "-rapid.checks=" + strconv.Itoa(c.checks),
		"-rapid.seed=" + strconv.FormatUint(c.seed, 10), "-rapid.shrinktime=" + shrinkTime.String()}
	if c.noFailFile {
		args = append(args, "-rapid.nofailfile")
	}
	start := time.Now()
	run, code, err := goTest(ctx, c, w, prog.line, endEnv(end), args...)
	r := result{name: "fuzz.TestProperties", took: time.Since(start)}
	if run != nil {
		r.explored = explored(run)
	}
	if errors.Is(err, errBudget) {
		return cutShort(r, c, func() (status, string, []finding) { return judgeProperties(c, run, code) })
	}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	r.status, r.note, r.findings = judgeProperties(c, run, code)
	if r.note == "" {
		r.note = stoppedEarly(run)
	}
	return r
}

// stoppedEarly says which properties stopped drawing cases before -checks
// because the run's time was up, or "".
func stoppedEarly(run *testRun) string {
	var notes []string
	for _, name := range run.order {
		prop, ok := strings.CutPrefix(name, "TestProperties/")
		if !ok {
			continue
		}
		for _, l := range strings.Split(run.output(name), "\n") {
			if text, ok := logged(l); ok && strings.HasPrefix(text, "the run's time is up") {
				notes = append(notes, prop+": "+text)
			}
		}
	}
	return strings.Join(notes, "\n")
}

// fuzzEndEnv is package fuzz's variable for the moment a run's cases must
// be over (its endEnv).
const fuzzEndEnv = "UPCHECK_FUZZ_END"

// endEnv is the environment that tells a run's cases to be over by end,
// stopGrace before it, so that the run can end on its own: none for the
// zero time.
func endEnv(end time.Time) []string {
	if end.IsZero() {
		return nil
	}
	return []string{fuzzEndEnv + "=" + end.Add(-stopGrace).Format(time.RFC3339Nano)}
}

// cutShort is the result of a run stopped at the budget: the failures it
// had reported by then, if any; otherwise status cut.
func cutShort(r result, c *config, judge func() (status, string, []finding)) result {
	st, _, fs := judge()
	if st == failed && len(fs) > 0 {
		r.status, r.findings = failed, fs
		r.note = fmt.Sprintf("stopped at -budget %s", c.budget)
		return r
	}
	r.status, r.note = cut, fmt.Sprintf("stopped at -budget %s after %s, having found nothing by then", c.budget, r.took.Round(time.Second))
	return r
}

// unconfirmedSince lists the cases saved as unconfirmed since start.
func unconfirmedSince(c *config, start time.Time) []string {
	dir := c.failures
	if dir == "" {
		dir = filepath.Join(c.dir, "fuzz", fuzzspec.FailureDir)
	}
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !strings.HasSuffix(e.Name(), fuzzspec.UnconfirmedSuffix+".json") || info.ModTime().Before(start.Add(-time.Second)) {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// errBudget says that a run was stopped at the campaign's -budget.
var errBudget = errors.New("stopped at -budget")

// goTest runs go test -json with args (which start with "test") in the
// module root with the campaign's environment, copies its output to w as it
// comes, in go test's own words, and returns what it reported and its exit
// code; err is set only when the command could not run.
//
// The run is a process group of its own. When ctx ends it gets SIGINT, as
// from a terminal (go test -fuzz then stops fuzzing and reports), and
// stopGrace later SIGKILL: a run stopped at ctx's deadline returns
// errBudget, one stopped otherwise an error saying it was interrupted.
// extra is added to the run's environment; watch, if set, is called with
// each line of a test's output as it comes.
func goTest(ctx context.Context, c *config, w io.Writer, watch func(test, output string), extra []string, args ...string) (*testRun, int, error) {
	args = append([]string{args[0], "-json"}, args[1:]...)
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = c.dir
	cmd.Env = append(runEnv(c), extra...)
	l := &eventLog{log: w, watch: watch}
	cmd.Stdout = l
	cmd.Stderr = l.text()
	ownGroup(cmd)
	cmd.Cancel = func() error { return stopGroup(cmd, stopGrace) }
	cmd.WaitDelay = stopGrace + 2*time.Second
	err := cmd.Run()
	run := l.close()
	if ee, ok := err.(*exec.ExitError); ok {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return run, ee.ExitCode(), errBudget
		}
		if ctx.Err() != nil {
			return run, ee.ExitCode(), fmt.Errorf("interrupted")
		}
		return run, ee.ExitCode(), nil
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return run, -1, errBudget
	}
	if err != nil {
		return run, -1, fmt.Errorf("%s %s: %v", c.goCmd, strings.Join(args, " "), err)
	}
	return run, 0, nil
}

// runEnv is the environment of every run: the campaign's, less empty
// RAPID_ variables, with the failure directory when one was given.
func runEnv(c *config) []string {
	var env []string
	for _, kv := range os.Environ() {
		// rapid refuses to start when a RAPID_ variable is set but
		// empty; the campaign passes its settings as flags.
		if strings.HasPrefix(kv, "RAPID_") && strings.HasSuffix(kv, "=") {
			continue
		}
		env = append(env, kv)
	}
	if c.failures != "" {
		env = append(env, fuzzspec.FailuresEnv+"="+c.failures)
	}
	return env
}

func listDir(dir string) map[string]bool {
	ents, _ := os.ReadDir(dir)
	m := map[string]bool{}
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

func newFiles(before, after map[string]bool) []string {
	var out []string
	for n := range after {
		if !before[n] {
			out = append(out, n)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// relTo returns p relative to root when it is inside it.
func relTo(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// relPkg names a package directory for the go command: ./path.
func relPkg(root, dir string) string {
	r := relTo(root, dir)
	if r == "." {
		return "."
	}
	if filepath.IsAbs(r) {
		return r
	}
	return "./" + filepath.ToSlash(r)
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// targetEnv is the target settings as a shell prefix for the commands the
// campaign prints.
func targetEnv() string { return fuzzspec.TargetPrefix() }

// shellQuote quotes a word of the commands the campaign prints.
func shellQuote(s string) string { return fuzzspec.ShellQuote(s) }
