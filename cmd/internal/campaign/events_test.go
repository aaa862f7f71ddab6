package campaign

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventLogReadsAsText writes every recorded stream to an eventLog in
// small pieces, as a pipe may deliver it, with a line of standard error in
// the middle, and requires the log to be go test's text (the events'
// output, in order) with that line between two lines of it, and the run
// to hold every event.
func TestEventLogReadsAsText(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "gotest", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded streams: %v", err)
	}
	const stderrLine = "go: warning: something the go command says\n"
	for _, name := range files {
		stream, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		lines := bytes.SplitAfter(stream, []byte("\n"))
		half := len(lines) / 2
		for i, l := range lines {
			if i == half {
				want.WriteString(stderrLine)
			}
			var e event
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			if err := json.Unmarshal(l, &e); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want.WriteString(e.Output)
		}
		var log bytes.Buffer
		l := &eventLog{log: &log}
		first := len(bytes.Join(lines[:half], nil))
		for i := 0; i < len(stream); i += 7 {
			if i <= first && first < i+7 {
				// Standard error comes between whole lines.
				l.Write(stream[i:first])
				l.text().Write([]byte(stderrLine))
				l.Write(stream[first:min(i+7, len(stream))])
				continue
			}
			l.Write(stream[i:min(i+7, len(stream))])
		}
		run := l.close()
		if log.String() != want.String() {
			t.Errorf("%s: the log is\n%s\nwant\n%s", name, log.String(), want.String())
		}
		if !strings.Contains(run.text.String(), stderrLine) {
			t.Errorf("%s: the run's text lacks the line of standard error: %q", name, run.text.String())
		}
	}
}

func TestParseEvents(t *testing.T) {
	run := recorded(t, "properties-failfile.jsonl")
	want := []struct{ name, action string }{
		{"TestProperties", "fail"},
		{"TestProperties/TCPScripts", "fail"},
		{"TestProperties/UDPScripts", "pass"},
		{"TestProperties/Skipped", "skip"},
	}
	if len(run.order) != len(want) {
		t.Fatalf("tests %v, want %v", run.order, want)
	}
	for i, w := range want {
		if run.order[i] != w.name || run.tests[w.name].action != w.action {
			t.Errorf("test %d: %s %s, want %s %s", i, run.order[i], run.tests[run.order[i]].action, w.name, w.action)
		}
	}
	if out := run.output("TestProperties/UDPScripts"); !strings.HasPrefix(out, "=== RUN   TestProperties/UDPScripts\n") || !strings.Contains(out, "[rapid] OK, passed 50 tests") || strings.Contains(out, "TCPScripts") {
		t.Errorf("UDPScripts' output is not its own:\n%s", out)
	}
	if run.buildFailed || !strings.HasSuffix(run.other.String(), "FAIL\texample.com/m\t0.041s\n") {
		t.Errorf("package output %q, build failed %v", run.other.String(), run.buildFailed)
	}
	for _, name := range []string{"build-failed.jsonl", "setup-failed.jsonl"} {
		if run := recorded(t, name); !run.buildFailed {
			t.Errorf("%s: the build did not fail", name)
		}
	}
	run = parseEvents(strings.NewReader("not an event\n{\"Action\":\"output\",\"Test\":\"T\",\"Output\":\"x\\n\"}\nno newline"))
	if run.text.String() != "not an event\nno newline" || run.output("T") != "x\n" {
		t.Errorf("text %q, output of T %q", run.text.String(), run.output("T"))
	}
}
