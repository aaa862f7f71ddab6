package campaign

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// judgeFuzz reads what a go test -json -fuzz run of t reported, its exit
// code, and the corpus files it added.
func judgeFuzz(c *config, t fuzzTarget, run *testRun, code int, added []string) (status, string, []finding) {
	if code == 0 {
		return passed, "", nil
	}
	if run.buildFailed {
		return broken, "the build failed: " + firstLine(run.all()), nil
	}
	if spuriousDeadline(run, t.name, added) {
		return passed, `go ended the run with "context deadline exceeded" and no failing input (golang/go#75804): counted as a pass`, nil
	}
	out := run.output(t.name)
	var fs []finding
	// A new failing input: go test wrote it under testdata/fuzz.
	lines := strings.SplitAfter(out, "\n")
	for i, l := range lines {
		p, ok := strings.CutPrefix(strings.TrimSpace(l), "Failing input written to ")
		if !ok || p == "" {
			continue
		}
		p = strings.Fields(p)[0]
		before := strings.Join(lines[:i], "")
		fs = append(fs, finding{
			name:     t.label(),
			headline: lastHeadline(before),
			stays:    []string{relTo(c.dir, filepath.Join(t.dir, filepath.FromSlash(p)))},
			rerun:    fmt.Sprintf("%sgo test -run='^%s$/^%s$' %s", targetEnv(), t.name, filepath.Base(p), relPkg(c.dir, t.dir)),
			replay:   lastReplay(before),
			script:   lastCase(before),
		})
	}
	// A corpus entry that fails (a seed, or a file under testdata/fuzz) is
	// already where it stays. A harness error there is the target not
	// starting, not a finding.
	if len(fs) == 0 {
		for _, e := range failedEntries(run, t.name) {
			headline := lastHeadline(e.out)
			if strings.Contains(headline, "harness error:") {
				continue
			}
			f := finding{name: t.label(), headline: headline, replay: lastReplay(e.out), script: lastCase(e.out)}
			if p := filepath.Join(t.dir, "testdata", "fuzz", t.name, e.name); fileExists(p) {
				f.stays = append(f.stays, relTo(c.dir, p))
			}
			f.rerun = fmt.Sprintf("%sgo test -run='^%s$/^%s$' %s", targetEnv(), t.name, regexp.QuoteMeta(e.name), relPkg(c.dir, t.dir))
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		if h := harnessLine(run.all()); h != "" {
			return broken, h, nil
		}
		if !run.failed(t.name) {
			return broken, "go test failed without a test failure: " + whyBroken(run), nil
		}
		fs = append(fs, finding{name: t.label(), headline: lastHeadline(out), replay: lastReplay(out), script: lastCase(out)})
	}
	return failed, "", fs
}

// entry is a corpus entry of a fuzz target that failed, and the output
// that tells how.
type entry struct{ name, out string }

// failedEntries returns the corpus entries of the target name that failed.
// Under -fuzz, go test runs them before it fuzzes, says "failure while
// testing seed corpus entry: Name/entry", and the target's output tells the
// failure; without -fuzz, each entry is a subtest.
func failedEntries(run *testRun, name string) []entry {
	var es []entry
	out := run.output(name)
	for _, l := range strings.Split(out, "\n") {
		if e, ok := strings.CutPrefix(strings.TrimSpace(l), "failure while testing seed corpus entry: "+name+"/"); ok && e != "" {
			es = append(es, entry{name: e, out: out})
		}
	}
	for _, n := range run.order {
		if e, ok := strings.CutPrefix(n, name+"/"); ok && run.failed(n) {
			es = append(es, entry{name: e, out: run.output(n)})
		}
	}
	return es
}

// spuriousDeadline reports whether a failed go test -fuzz run of name is
// golang/go#75804: the run ends at -fuzztime with "context deadline
// exceeded" as the target's only failure, no failing input written, no
// corpus entry failing.
func spuriousDeadline(run *testRun, name string, added []string) bool {
	if len(added) > 0 || !run.failed(name) || len(failedEntries(run, name)) > 0 {
		return false
	}
	out := run.output(name)
	if strings.Contains(out, "Failing input written to ") {
		return false
	}
	_, after, ok := strings.Cut(out, "--- FAIL: "+name+" (")
	if !ok {
		return false
	}
	_, after, _ = strings.Cut(after, "\n")
	return strings.TrimSpace(after) == "context deadline exceeded"
}

// judgeProperties reads what the properties' go test -json run reported
// and its exit code: each subtest of TestProperties that failed is a
// finding.
func judgeProperties(c *config, run *testRun, code int) (status, string, []finding) {
	if code == 0 {
		return passed, "", nil
	}
	if run.buildFailed {
		return broken, "the build failed: " + firstLine(run.all()), nil
	}
	var fs []finding
	harness := ""
	for _, name := range run.order {
		prop, ok := strings.CutPrefix(name, "TestProperties/")
		if !ok || !run.failed(name) {
			continue
		}
		out := run.output(name)
		f := finding{name: "property " + prop, headline: rapidHeadline(out)}
		if f.headline == "" {
			f.headline = lastHeadline(out)
		}
		if strings.Contains(f.headline, "harness error:") {
			// The target did not start: not a finding.
			harness = harnessLine(out)
			continue
		}
		only := fmt.Sprintf("-run='^TestProperties$/^%s$'", prop)
		if p := rapidFailFile(out); p != "" {
			f.stays = append(f.stays, relTo(c.dir, filepath.Join(c.dir, "fuzz", filepath.FromSlash(p))))
			f.rerun = fmt.Sprintf("%sgo test ./fuzz %s -rapid.failfile=%s", targetEnv(), only, shellQuote(p))
		} else if seed := rapidSeed(out); seed != "" {
			f.rerun = fmt.Sprintf("%sgo test ./fuzz %s -rapid.seed=%s", targetEnv(), only, seed)
		}
		f.replay = lastReplay(out)
		f.script = lastCase(out)
		if p := replayScript(f.replay); p != "" {
			f.stays = append(f.stays, relTo(c.dir, p))
		}
		fs = append(fs, f)
	}
	if len(fs) > 0 {
		return failed, harness, fs
	}
	if h := harnessLine(run.all()); h != "" {
		return broken, h, nil
	}
	return broken, "go test failed without a property failure: " + whyBroken(run), nil
}

// logged returns the text of a line a test logged (t.Log and the like:
// "    file.go:NN: text"), and whether line is one.
func logged(line string) (string, bool) {
	s := strings.TrimLeft(line, " \t")
	if len(s) == len(line) {
		return "", false
	}
	loc, text, ok := strings.Cut(s, ": ")
	if !ok {
		loc, ok = strings.CutSuffix(s, ":")
	}
	file, n, found := strings.Cut(loc, ".go:")
	if !ok || !found || file == "" || strings.ContainsAny(file, " \t:") || n == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	return strings.TrimRight(text, "\r\n"), true
}

// lastHeadline returns the last line logged in out, not counting replay
// lines: the failure a test reported.
func lastHeadline(out string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if text, ok := logged(lines[i]); ok && !strings.HasPrefix(text, "replay: ") && !strings.HasPrefix(text, "unconfirmed") {
			return text
		}
	}
	return ""
}

// lastReplay returns the last replay command logged in out.
func lastReplay(out string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if text, ok := logged(lines[i]); ok {
			if cmd, ok := strings.CutPrefix(text, "replay: "); ok {
				return strings.TrimSpace(cmd)
			}
		}
	}
	return ""
}

// replayScript returns the script path of a replay command.
func replayScript(cmd string) string {
	_, after, ok := strings.Cut(cmd, "-script ")
	if p := strings.Fields(after); ok && len(p) > 0 {
		return strings.Trim(p[0], "'")
	}
	return ""
}

// rapidHeadline returns rapid's line about the failure of a property in
// out: "failed after N tests: ...", "panic after ...", or that the failure
// could not be reproduced.
func rapidHeadline(out string) string {
	for _, l := range strings.Split(out, "\n") {
		_, text, ok := strings.Cut(l, "[rapid] ")
		if !ok {
			continue
		}
		for _, verb := range []string{"failed after ", "panic after "} {
			if n, rest, ok := strings.Cut(strings.TrimPrefix(text, verb), " tests: "); ok && strings.HasPrefix(text, verb) && n != "" && strings.Trim(n, "0123456789") == "" && rest != "" {
				return text
			}
		}
		if strings.HasPrefix(text, "flaky test, can not reproduce a failure") {
			return "flaky test, can not reproduce a failure"
		}
	}
	return ""
}

// rapidFailFile returns the fail file rapid names in out, relative to the
// package directory, or "".
func rapidFailFile(out string) string {
	_, after, ok := strings.Cut(out, `-rapid.failfile="`)
	if p, _, closed := strings.Cut(after, `"`); ok && closed {
		return p
	}
	return ""
}

// rapidSeed returns the seed rapid names in out, or "".
func rapidSeed(out string) string {
	_, after, _ := strings.Cut(out, "-rapid.seed=")
	n := 0
	for n < len(after) && after[n] >= '0' && after[n] <= '9' {
		n++
	}
	return after[:n]
}

// harnessLine returns the first harness error in out, from "harness
// error:" on, or "".
func harnessLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "harness error:"); i >= 0 {
			return strings.TrimSpace(l[i:])
		}
	}
	return ""
}

// whyBroken picks the line of a run that says why go test failed with no
// test failure: a panic, or else the last line printed that is not go
// test's own verdict ("FAIL", "exit status 2").
func whyBroken(run *testRun) string {
	lines := strings.Split(strings.TrimSpace(run.all()), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") {
			return l
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || l == "FAIL" || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "exit status ") {
			continue
		}
		return l
	}
	return lines[len(lines)-1]
}
