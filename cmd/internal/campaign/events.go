package campaign

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

// event is one line of go test -json: a test event of cmd/test2json, or a
// build event of the go command (Action build-output or build-fail, with
// ImportPath).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64 // seconds, on pass and fail
	Output      string
	FailedBuild string // on a package's fail: the package whose build failed
	ImportPath  string // on build events
}

// testRun is what one go test -json run reported.
type testRun struct {
	tests map[string]*testResult // by name, subtests as Parent/Sub
	order []string               // the names in the order they started
	build strings.Builder        // the build's output
	// buildFailed is set by a build that failed, or by a setup that failed
	// (a package that does not exist).
	buildFailed bool
	other       strings.Builder // output of no test: the test binary's own, the go command's
	text        strings.Builder // lines that were not events: the go command's standard error
}

// testResult is one test's (or subtest's) part of a run.
type testResult struct {
	name    string
	action  string // pass, fail or skip; "" when it never ended
	elapsed float64
	out     strings.Builder // its output, the "=== RUN" and "--- FAIL" lines included
}

// failed reports whether the test named name failed.
func (r *testRun) failed(name string) bool {
	t := r.tests[name]
	return t != nil && t.action == "fail"
}

// output returns the output of the test named name ("" for a test that did
// not run).
func (r *testRun) output(name string) string {
	if t := r.tests[name]; t != nil {
		return t.out.String()
	}
	return ""
}

// all returns everything the run printed, test by test: for a reason when
// no test says why the run failed.
func (r *testRun) all() string {
	var b strings.Builder
	b.WriteString(r.build.String())
	for _, n := range r.order {
		b.WriteString(r.tests[n].out.String())
	}
	b.WriteString(r.other.String())
	b.WriteString(r.text.String())
	return b.String()
}

func (r *testRun) test(name string) *testResult {
	if r.tests == nil {
		r.tests = map[string]*testResult{}
	}
	t := r.tests[name]
	if t == nil {
		t = &testResult{name: name}
		r.tests[name] = t
		r.order = append(r.order, name)
	}
	return t
}

// add records e.
func (r *testRun) add(e event) {
	switch e.Action {
	case "build-output":
		r.build.WriteString(e.Output)
		return
	case "build-fail":
		r.buildFailed = true
		return
	}
	if e.Test == "" {
		switch e.Action {
		case "output":
			r.other.WriteString(e.Output)
		case "fail":
			r.buildFailed = r.buildFailed || e.FailedBuild != ""
		}
		return
	}
	t := r.test(e.Test)
	switch e.Action {
	case "output":
		t.out.WriteString(e.Output)
	case "pass", "fail", "skip":
		t.action, t.elapsed = e.Action, e.Elapsed
	}
}

// eventLog reads go test -json as it is written: it records each event in
// run and copies the output it carries to log, so that the log reads as go
// test's own text. Lines that are not events (the go command's standard
// error, which may share the writer) are recorded as text and copied as
// they are. It is safe for use by the two goroutines that copy a command's
// standard output and error.
type eventLog struct {
	mu      sync.Mutex
	run     testRun
	log     io.Writer
	partial []byte // the last line, until its newline comes
	// watch, if set, is called with each line of a test's output as it
	// comes.
	watch func(test, output string)
}

func (l *eventLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(l.partial[:i+1])
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// line handles one line, its newline included.
func (l *eventLog) line(b []byte) {
	var e event
	if bytes.HasPrefix(b, []byte("{")) && json.Unmarshal(b, &e) == nil && e.Action != "" {
		l.run.add(e)
		if e.Output != "" {
			io.WriteString(l.log, e.Output)
		}
		if l.watch != nil && e.Test != "" && e.Action == "output" {
			l.watch(e.Test, e.Output)
		}
		return
	}
	l.run.text.Write(b)
	l.log.Write(b)
}

// close handles a last line with no newline and returns the run.
func (l *eventLog) close() *testRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.line(l.partial)
		l.partial = nil
	}
	return &l.run
}

// parseEvents reads a whole go test -json stream.
func parseEvents(r io.Reader) *testRun {
	l := &eventLog{log: io.Discard}
	io.Copy(l, r)
	return l.close()
}

// text returns a writer for the lines of the command's standard error: it
// records them as text and copies them to the log, between whole lines of
// events.
func (l *eventLog) text() io.Writer { return stderrLog{l} }

type stderrLog struct{ l *eventLog }

func (s stderrLog) Write(p []byte) (int, error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.l.run.text.Write(p)
	return s.l.log.Write(p)
}
