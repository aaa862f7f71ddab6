package campaign

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

func TestProgressLine(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		x    fuzzspec.Explored
		end  time.Time
		want string
	}{
		{fuzzspec.Explored{Property: "TCPScripts", Cases: 120, Checks: 1000, Seconds: 29.5}, now.Add(190*time.Second + 400*time.Millisecond),
			"campaign: TCPScripts: 120 of 1000 cases, 4.1/s, no failure, 3m10s left of -budget"},
		{fuzzspec.Explored{Property: "UDPScripts", Cases: 30, Checks: 1000, Seconds: 10}, time.Time{},
			"campaign: UDPScripts: 30 of 1000 cases, 3.0/s, no failure, about 5m23s left at this rate"},
		{fuzzspec.Explored{Property: "TCPScripts", Cases: 5000, Checks: 10000, Seconds: 100, Failures: 1}, time.Time{},
			"campaign: TCPScripts: 5000 of 10000 cases, 50/s, 1 failure (shrinking it)"},
		{fuzzspec.Explored{Property: "UDPScripts", Cases: 1, Checks: 1000, Seconds: 4}, now.Add(-time.Second),
			"campaign: UDPScripts: 1 case, 0.25/s, no failure, 0s left of -budget"},
		{fuzzspec.Explored{Property: "TCPScripts", Cases: 500, Checks: 1_000_000, Seconds: 10}, now.Add(time.Minute),
			"campaign: TCPScripts: 500 cases, 50/s, no failure, 1m0s left of -budget"},
	} {
		if got := ProgressLine(tc.x, now, tc.end); got != tc.want {
			t.Errorf("ProgressLine(%+v)\n got %s\nwant %s", tc.x, got, tc.want)
		}
	}
}

// TestProgressPrinted feeds a recorded run of the properties through the
// event log as go test writes it, and requires a line on the terminal for
// each progress line the UDP property logged, with the time left by the
// clock given; the log itself still holds go test's text.
func TestProgressPrinted(t *testing.T) {
	stream, err := os.ReadFile(filepath.Join("testdata", "gotest", "properties-explored.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var term, log bytes.Buffer
	p := progress{w: &term, end: now.Add(time.Minute), now: func() time.Time { return now }}
	l := &eventLog{log: &log, watch: p.line}
	io.Copy(l, bytes.NewReader(stream))
	l.close()
	want := "campaign: UDPScripts: 17 of 40 cases, 3.3/s, no failure, 1m0s left of -budget\n" +
		"campaign: UDPScripts: 34 of 40 cases, 3.3/s, no failure, 1m0s left of -budget\n"
	if term.String() != want {
		t.Errorf("terminal:\n%s\nwant:\n%s", term.String(), want)
	}
	if !strings.Contains(log.String(), "progress: {") {
		t.Errorf("the log lacks the progress lines go test printed:\n%s", log.String())
	}
}

// TestSummaryShowsExplored renders the summary of a recorded clean run of
// the properties: each property's cases, rate and situations (a situation
// never reached is marked: see TestSummaryShowsTheCase).
func TestSummaryShowsExplored(t *testing.T) {
	run := recorded(t, "properties-explored.jsonl")
	c := &config{describe: "reference servers (in process)", seed: 1, checks: 40, fuzzTime: 0}
	st, note, fs := judgeProperties(c, run, 0)
	r := result{name: "fuzz.TestProperties", status: st, note: note, findings: fs, took: 13 * time.Second, explored: explored(run)}
	var b bytes.Buffer
	if code := summary(&b, c, []result{r}, nil, 13*time.Second, false); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	_, got, _ := strings.Cut(b.String(), "=== explored")
	want := ` (cases that reached each situation)
TCPScripts: 40 cases in 700ms (56/s)
  11  writes before and after a pause
  17  reads before the reply was complete
  25  half-close with replies pending
   8  reset with replies pending
   7  close with replies pending
  14  chunked writes
  16  1 connection
  12  2 concurrent connections
   6  3 concurrent connections
   6  4 concurrent connections
   8  through a faulty network
   6  network reset
UDPScripts: 40 cases in 12.1s (3.3/s)
  30  empty datagram
   8  datagram of the maximum size
  14  datagram of the maximum size + 1
  30  burst
  25  connected socket
  34  unconnected socket
  27  concurrent sockets
`
	if got != want {
		t.Errorf("summary's explored section:\n%s\nwant:\n%s\nwhole summary:\n%s", got, want, b.String())
	}
}

// TestSummaryShowsTheCase renders the summary of a recorded run of the
// TCP property that found a crash: the failure shows its minimal case as
// steps.
func TestSummaryShowsTheCase(t *testing.T) {
	run := recorded(t, "properties-case.jsonl")
	c := &config{describe: "command", seed: 9, checks: 300, dir: "/m"}
	st, note, fs := judgeProperties(c, run, 1)
	r := result{name: "fuzz.TestProperties", status: st, note: note, findings: fs, took: 15 * time.Second, explored: explored(run)}
	var b bytes.Buffer
	if code := summary(&b, c, []result{r}, nil, 15*time.Second, false); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	for _, want := range []string{
		"property TCPScripts: failed after 12 tests: server exited (status 1) while checking TCP-STREAM\n  case:\n    connection 0: write hex ff fa; half-close; read to EOF\n  stays in:",
		"TCPScripts: 13 cases in 700ms (17/s), stopped at a failure\n",
		"  0  reset with replies pending  (never reached)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
