package main

import (
	"bytes"
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

	"github.com/upcheck/upcheck/suites/target"
)

// The campaign leaves package fuzz out of its build: rapid, which it
// imports, panics at start-up on a malformed RAPID_ variable, which the
// campaign reports in one line instead. So it repeats these (the tests
// check them against package fuzz).
const (
	failureDir        = "testdata/failures" // fuzz.FailureDir
	unconfirmedSuffix = ".unconfirmed"      // fuzz.UnconfirmedSuffix
)

// replayCommand is fuzz.ReplayCommand: the command that replays the case
// at path against the campaign's target, from the module root.
func replayCommand(path string) string {
	return targetEnv() + "go run ./cmd/replay -count 3 -script " + shellQuote(path)
}

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
	out, code, err := goStream(ctx, c, w, args...)
	r := result{name: t.label(), took: time.Since(start)}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	added := newFiles(before, listDir(corpus))
	r.status, r.note, r.findings = judgeFuzz(c, t, out, code, added)
	return r
}

// judgeFuzz reads the output and exit code of a go test -fuzz run of t,
// and the corpus files it added.
func judgeFuzz(c *config, t fuzzTarget, out string, code int, added []string) (status, string, []finding) {
	if code == 0 {
		return passed, "", nil
	}
	if buildFailed(out) {
		return broken, "the build failed: " + firstLine(out), nil
	}
	if spuriousDeadline(out, t.name, added) {
		return passed, `go ended the run with "context deadline exceeded" and no failing input (golang/go#75804): counted as a pass`, nil
	}
	var fs []finding
	for _, m := range failingInput.FindAllStringSubmatch(out, -1) {
		f := finding{name: t.label(), headline: headlineBefore(out, m[0])}
		f.stays = append(f.stays, relTo(c.dir, filepath.Join(t.dir, filepath.FromSlash(m[1]))))
		f.rerun = fmt.Sprintf("%sgo test -run='^%s$/^%s$' %s", targetEnv(), t.name, filepath.Base(m[1]), relPkg(c.dir, t.dir))
		fs = append(fs, f)
	}
	// A seed corpus entry that fails is already under testdata.
	for _, m := range failedEntry.FindAllStringSubmatch(out, -1) {
		if m[1] != t.name || len(fs) > 0 {
			continue
		}
		f := finding{name: t.label(), headline: headlineAfter(out, m[0])}
		if p := filepath.Join(t.dir, "testdata", "fuzz", t.name, m[2]); fileExists(p) {
			f.stays = append(f.stays, relTo(c.dir, p))
		}
		f.rerun = fmt.Sprintf("%sgo test -run='^%s$/^%s$' %s", targetEnv(), t.name, regexp.QuoteMeta(m[2]), relPkg(c.dir, t.dir))
		fs = append(fs, f)
	}
	if len(fs) == 0 {
		if harnessError(out) {
			return broken, harnessLine(out), nil
		}
		if !strings.Contains(out, "--- FAIL") {
			return broken, "go test failed without a test failure: " + whyBroken(out), nil
		}
		fs = append(fs, finding{name: t.label(), headline: lastHeadline(out)})
	}
	if replay := lastReplay(out); replay != "" {
		for i := range fs {
			fs[i].replay = replay
		}
	}
	return failed, "", fs
}

// propertiesRun runs the rapid properties whose names match c.properties:
// the subtests of TestProperties in ./fuzz.
func propertiesRun(ctx context.Context, c *config, w io.Writer) result {
	fmt.Fprintf(w, "\n=== properties matching %q (%d checks each, seed %d)\n", c.properties, c.checks, c.seed)
	timeout := 30*time.Minute + time.Duration(c.checks)*2*time.Second + 2*c.shrinkTime
	// Flags the go command does not know go to the test binary, after the
	// package and only in their -flag=value form.
	args := []string{"test", "./fuzz", "-count=1", "-v", "-run=^TestProperties$/" + c.properties,
		"-timeout=" + timeout.String(), "-rapid.checks=" + strconv.Itoa(c.checks),
		"-rapid.seed=" + strconv.FormatUint(c.seed, 10), "-rapid.shrinktime=" + c.shrinkTime.String()}
	if c.noFailFile {
		args = append(args, "-rapid.nofailfile")
	}
	start := time.Now()
	out, code, err := goStream(ctx, c, w, args...)
	r := result{name: "fuzz.TestProperties", took: time.Since(start)}
	if err != nil {
		r.status, r.note = broken, err.Error()
		return r
	}
	r.status, r.note, r.findings = judgeProperties(c, out, code)
	return r
}

// judgeProperties reads the output and exit code of the properties' run.
func judgeProperties(c *config, out string, code int) (status, string, []finding) {
	if code == 0 {
		return passed, "", nil
	}
	if buildFailed(out) {
		return broken, "the build failed: " + firstLine(out), nil
	}
	var fs []finding
	for _, part := range splitSubtests(out) {
		if !strings.Contains(part.out, "--- FAIL: TestProperties/"+part.name) {
			continue
		}
		f := finding{name: "property " + part.name}
		if m := rapidHeadline.FindStringSubmatch(part.out); m != nil {
			f.headline = m[1]
		} else {
			f.headline = lastHeadline(part.out)
		}
		run := fmt.Sprintf("-run='^TestProperties$/^%s$'", part.name)
		if m := rapidFailFile.FindStringSubmatch(part.out); m != nil {
			f.stays = append(f.stays, relTo(c.dir, filepath.Join(c.dir, "fuzz", filepath.FromSlash(m[1]))))
			f.rerun = fmt.Sprintf("%sgo test ./fuzz %s -rapid.failfile=%s", targetEnv(), run, shellQuote(m[1]))
		} else if m := rapidSeed.FindStringSubmatch(part.out); m != nil {
			f.rerun = fmt.Sprintf("%sgo test ./fuzz %s -rapid.seed=%s", targetEnv(), run, m[1])
		}
		f.replay = lastReplay(part.out)
		if p := replayScript(f.replay); p != "" {
			f.stays = append(f.stays, relTo(c.dir, p))
		}
		fs = append(fs, f)
	}
	if len(fs) == 0 {
		if harnessError(out) {
			return broken, harnessLine(out), nil
		}
		return broken, "go test failed without a property failure: " + whyBroken(out), nil
	}
	return failed, "", fs
}

// unconfirmedSince lists the cases saved as unconfirmed since start.
func unconfirmedSince(c *config, start time.Time) []string {
	dir := c.failures
	if dir == "" {
		dir = filepath.Join(c.dir, "fuzz", failureDir)
	}
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !strings.HasSuffix(e.Name(), unconfirmedSuffix+".json") || info.ModTime().Before(start.Add(-time.Second)) {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// goStream runs the go command in the module root with the campaign's
// environment, copies its output to w as it comes, and returns the output
// and exit code; err is set only when the command could not run.
func goStream(ctx context.Context, c *config, w io.Writer, args ...string) (string, int, error) {
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = c.dir
	cmd.Env = runEnv(c)
	var buf bytes.Buffer
	cmd.Stdout = io.MultiWriter(w, &buf)
	cmd.Stderr = cmd.Stdout
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		if ctx.Err() != nil {
			return buf.String(), ee.ExitCode(), fmt.Errorf("interrupted")
		}
		return buf.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return buf.String(), -1, fmt.Errorf("%s %s: %v", c.goCmd, strings.Join(args, " "), err)
	}
	return buf.String(), 0, nil
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
		env = append(env, "UPCHECK_FUZZ_FAILURES="+c.failures)
	}
	return env
}

var (
	failingInput  = regexp.MustCompile(`Failing input written to (\S+)`)
	failedEntry   = regexp.MustCompile(`(?m)^\s*--- FAIL: (Fuzz\w*)/(\S+) \(`)
	logLine       = regexp.MustCompile(`(?m)^\s+\w[\w.-]*\.go:\d+: (.*)$`)
	rapidHeadline = regexp.MustCompile(`\[rapid\] ((?:failed|panic) after \d+ tests: .*|flaky test, can not reproduce a failure)`)
	rapidFailFile = regexp.MustCompile(`-rapid\.failfile="([^"]+)"`)
	rapidSeed     = regexp.MustCompile(`-rapid\.seed=(\d+)`)
	replayLine    = regexp.MustCompile(`(?m)^\s+\w[\w.-]*\.go:\d+: replay: (.*)$`)
	runLine       = regexp.MustCompile(`(?m)^=== RUN\s+TestProperties/(\w+)\s*$`)
)

// spuriousDeadline reports whether a failed go test -fuzz run of name is
// golang/go#75804: the run ends at -fuzztime with "context deadline
// exceeded" as its only failure, no failing input written, no corpus entry
// failing.
func spuriousDeadline(out, name string, added []string) bool {
	if len(added) > 0 || failingInput.MatchString(out) || failedEntry.MatchString(out) {
		return false
	}
	m := regexp.MustCompile(`(?m)^--- FAIL: ` + regexp.QuoteMeta(name) + ` \([^)]*\)\n((?:\s+.*\n)*)`).FindStringSubmatch(out)
	return m != nil && strings.TrimSpace(m[1]) == "context deadline exceeded"
}

// whyBroken picks the line of out that says why go test failed with no
// test failure: a panic, or else the last line.
func whyBroken(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "panic: ") {
			return l
		}
	}
	return lastLines(strings.TrimSpace(out), 1)
}

func buildFailed(out string) bool {
	return strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]")
}

func harnessError(out string) bool { return strings.Contains(out, "harness error:") }

func harnessLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "harness error:"); i >= 0 {
			return strings.TrimSpace(l[i:])
		}
	}
	return ""
}

// headlineBefore returns the last logged line before marker in out: the
// failure a target reported, before the fuzzing engine's own lines.
func headlineBefore(out, marker string) string {
	if i := strings.Index(out, marker); i >= 0 {
		return lastHeadline(out[:i])
	}
	return lastHeadline(out)
}

// headlineAfter returns the first logged line after marker in out.
func headlineAfter(out, marker string) string {
	if i := strings.Index(out, marker); i >= 0 {
		if m := logLine.FindStringSubmatch(out[i:]); m != nil {
			return m[1]
		}
	}
	return lastHeadline(out)
}

// lastHeadline returns the last logged line in out (file.go:NN: text), not
// counting replay lines.
func lastHeadline(out string) string {
	ms := logLine.FindAllStringSubmatch(out, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if !strings.HasPrefix(ms[i][1], "replay: ") && !strings.HasPrefix(ms[i][1], "unconfirmed") {
			return ms[i][1]
		}
	}
	return ""
}

// lastReplay returns the last replay command logged in out.
func lastReplay(out string) string {
	ms := replayLine.FindAllStringSubmatch(out, -1)
	if len(ms) == 0 {
		return ""
	}
	return strings.TrimSpace(ms[len(ms)-1][1])
}

// replayScript returns the script path of a replay command.
func replayScript(cmd string) string {
	const flag = "-script "
	i := strings.Index(cmd, flag)
	if i < 0 {
		return ""
	}
	p := strings.Fields(cmd[i+len(flag):])
	if len(p) == 0 {
		return ""
	}
	return strings.Trim(p[0], "'")
}

// subtest is the output of one property's subtest.
type subtest struct{ name, out string }

// splitSubtests cuts verbose go test output at each property's "=== RUN".
// The FAIL lines of a subtest come after the next subtest's RUN when the
// subtests end together, so each part runs up to the next RUN of another
// property; the last includes the tail.
func splitSubtests(out string) []subtest {
	idx := runLine.FindAllStringSubmatchIndex(out, -1)
	var parts []subtest
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		parts = append(parts, subtest{name: out[m[2]:m[3]], out: out[m[0]:end]})
	}
	// go test prints every subtest's verdict in the parent's summary at
	// the end; add the tail to each part so that each sees its own.
	if n := len(idx); n > 0 {
		tail := out[idx[n-1][0]:]
		if j := strings.Index(tail, "\n--- "); j >= 0 {
			for i := range parts[:n-1] {
				parts[i].out += tail[j:]
			}
		}
	}
	return parts
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

// targetEnv is the target settings of this campaign as a shell prefix,
// "UPCHECK_SERVER_CMD='...' ", for the commands it prints.
func targetEnv() string {
	s, _ := target.FromEnv() // run checked the settings
	s.Report = ""
	var b strings.Builder
	for _, kv := range s.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString(k + "=" + shellQuote(v) + " ")
	}
	return b.String()
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,+-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
