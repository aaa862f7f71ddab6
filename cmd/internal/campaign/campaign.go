package campaign

import (
	"context"
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
)

func (s status) String() string { return [...]string{"ok", "FAIL", "ERROR", "skip"}[s] }

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
}

// finding is one failure a run found, and how to get at it again.
type finding struct {
	name     string   // the target or property
	headline string   // the failure, as reported
	stays    []string // files that keep it, relative to the module root
	rerun    string   // the go test command that runs it again
	replay   string   // the cmd/replay command, for any target
}

// campaign runs everything c asks for and prints the summary; it returns
// the exit status.
func campaign(ctx context.Context, c *config, w io.Writer) int {
	start := time.Now()
	fmt.Fprintf(w, "campaign: target %s\n", c.describe)
	fmt.Fprintf(w, "campaign: rapid seed %d (repeat with RAPID_SEED=%d), %d checks per property; FUZZTIME=%s per fuzz target\n",
		c.seed, c.seed, c.checks, c.fuzzTime)
	var results []result
	// over reports whether a run of about d would end past the budget.
	over := func(d time.Duration) bool { return c.budget > 0 && time.Since(start)+d > c.budget }
	skip := func(name string) result {
		return result{name: name, status: skipped, note: fmt.Sprintf("left out: it would end the campaign past -budget %s", c.budget)}
	}
	if c.fuzzTime > 0 {
		targets, err := discover(ctx, c)
		if err != nil {
			results = append(results, result{name: "discovery", status: broken, note: err.Error()})
		}
		for _, t := range targets {
			switch {
			case ctx.Err() != nil:
			case over(c.fuzzTime):
				results = append(results, skip(t.label()))
			default:
				results = append(results, fuzzRun(ctx, c, t, w))
			}
		}
	}
	if c.checks > 0 && ctx.Err() == nil {
		if over(time.Duration(c.checks) * perCheck) {
			results = append(results, skip("fuzz.TestProperties"))
		} else {
			results = append(results, propertiesRun(ctx, c, w))
		}
	}
	unconfirmed := unconfirmedSince(c, start)
	return summary(w, c, results, unconfirmed, time.Since(start), ctx.Err() != nil)
}

// fuzzRun runs the native target t for c.fuzzTime.
func fuzzRun(ctx context.Context, c *config, t fuzzTarget, w io.Writer) result {
	fmt.Fprintf(w, "\n=== fuzz %s (%s)\n", t.label(), c.fuzzTime)
	corpus := filepath.Join(t.dir, "testdata", "fuzz", t.name)
	before := listDir(corpus)
	args := []string{"test", "-run=^$", "-fuzz=^" + regexp.QuoteMeta(t.name) + "$",
		"-fuzztime=" + c.fuzzTime.String(), "-fuzzminimizetime=" + c.minimize.String(),
		"-timeout=" + (c.fuzzTime + 10*time.Minute).String()}
	if c.parallel > 0 {
		args = append(args, "-parallel="+strconv.Itoa(c.parallel))
	}
	args = append(args, t.pkg)
	start := time.Now()
	run, code, err := goTest(ctx, c, w, args...)
	r := result{name: t.label(), took: time.Since(start)}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	added := newFiles(before, listDir(corpus))
	r.status, r.note, r.findings = judgeFuzz(c, t, run, code, added)
	return r
}

// propertiesRun runs the rapid properties whose names match c.properties:
// the subtests of TestProperties in ./fuzz.
func propertiesRun(ctx context.Context, c *config, w io.Writer) result {
	fmt.Fprintf(w, "\n=== properties matching %q (%d checks each, seed %d)\n", c.properties, c.checks, c.seed)
	timeout := 30*time.Minute + time.Duration(c.checks)*2*time.Second + 2*c.shrinkTime
	// Flags the go command does not know go to the test binary, after the
	// package and only in their -flag=value form.
	args := []string{"test", "./fuzz", "-count=1", "-run=^TestProperties$/" + c.properties,
		"-timeout=" + timeout.String(), "-rapid.checks=" + strconv.Itoa(c.checks),
		"-rapid.seed=" + strconv.FormatUint(c.seed, 10), "-rapid.shrinktime=" + c.shrinkTime.String()}
	if c.noFailFile {
		args = append(args, "-rapid.nofailfile")
	}
	start := time.Now()
	run, code, err := goTest(ctx, c, w, args...)
	r := result{name: "fuzz.TestProperties", took: time.Since(start)}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	r.status, r.note, r.findings = judgeProperties(c, run, code)
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

// goTest runs go test -json with args (which start with "test") in the
// module root with the campaign's environment, copies its output to w as it
// comes, in go test's own words, and returns what it reported and its exit
// code; err is set only when the command could not run.
func goTest(ctx context.Context, c *config, w io.Writer, args ...string) (*testRun, int, error) {
	args = append([]string{args[0], "-json"}, args[1:]...)
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = c.dir
	cmd.Env = runEnv(c)
	l := &eventLog{log: w}
	cmd.Stdout = l
	cmd.Stderr = l.text()
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	run := l.close()
	if ee, ok := err.(*exec.ExitError); ok {
		if ctx.Err() != nil {
			return run, ee.ExitCode(), fmt.Errorf("interrupted")
		}
		return run, ee.ExitCode(), nil
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
