package fuzz

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

// pauseCase writes "a", pauses for d (not scaled), then half-closes: a
// case that lasts d whatever the server does.
func pauseCase(d time.Duration) *Case {
	return &Case{TCP: &check.TCPScript{Case: "pause", SkipFinalProbe: true, Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: []byte("a")}, {Op: check.Pause, Pause: d}, {Op: check.HalfClose},
	}}}}}
}

// withRunEnd sets the run's end for the test and puts the one before back
// when it ends.
func withRunEnd(t *testing.T, end time.Time) {
	before, _ := runEnd()
	setRunEnd(end)
	t.Cleanup(func() { setRunEnd(before) })
}

// TestStalledCaseIsAFinding runs a case that does not end within its limit:
// it fails as a stall, in text that holds the limit, not the time taken,
// and is saved with the command that replays it.
func TestStalledCaseIsAFinding(t *testing.T) {
	withRunEnd(t, time.Time{})
	dir := t.TempDir()
	t.Setenv("UPCHECK_FUZZ_FAILURES", dir)
	s := serverstest.NewServer()
	defer s.Close()
	e := check.Env{TCP: s.TCPAddr, Scale: 0.05} // a limit of 400ms
	start := time.Now()
	r := run(func(r *recorder) { judge(r, "Stall", pauseCase(5*time.Second), e, Hooks{}, new(memory)) })
	took := time.Since(start)
	want := "stalled: no progress for 400ms (the case did not end within its time limit)"
	if r.fatal != want {
		t.Errorf("failure %q, want %q\nlog:\n%s", r.fatal, want, r.log())
	}
	if took > 4*time.Second {
		t.Errorf("judging the case took %v: the stalled runs were not cut at their limit", took)
	}
	c, err := LoadCase(filepath.Join(dir, "Stall.json"))
	if err != nil {
		t.Fatalf("the stalled case is not saved: %v", err)
	}
	if c.Failure != want {
		t.Errorf("saved failure %q, want %q", c.Failure, want)
	}
	if !strings.Contains(r.log(), "replay: ") {
		t.Errorf("no replay command logged:\n%s", r.log())
	}
}

// TestCaseCutByTheRunsEndIsSkipped runs a case that the run's end cuts
// short: it is not judged (the fuzz function skips), nothing is saved, and
// it ends at the run's end, not at the case's limit.
func TestCaseCutByTheRunsEndIsSkipped(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("UPCHECK_FUZZ_FAILURES", dir)
	s := serverstest.NewServer()
	defer s.Close()
	e := check.Env{TCP: s.TCPAddr}
	withRunEnd(t, time.Now().Add(300*time.Millisecond))
	start := time.Now()
	r := run(func(r *recorder) { judge(r, "Cut", pauseCase(5*time.Second), e, Hooks{}, new(memory)) })
	took := time.Since(start)
	if r.fail {
		t.Errorf("a case cut by the run's end failed: %s", r.fatal)
	}
	if !strings.Contains(r.log(), "skip: "+errOutOfTime.Error()) {
		t.Errorf("the case was not skipped:\n%s", r.log())
	}
	if took > 3*time.Second {
		t.Errorf("the case took %v, past the run's end", took)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("a case that was not judged was saved: %v", ents)
	}
	// Once the run's time is up, a case does not start at all.
	r = run(func(r *recorder) { judge(r, "Cut", writeThenHalfClose("a"), e, Hooks{}, new(memory)) })
	if r.fail || !strings.Contains(r.log(), "skip: ") {
		t.Errorf("a case after the run's end ran: failed %v, log:\n%s", r.fail, r.log())
	}
}

func TestBeginRunTakesTheEarliestEnd(t *testing.T) {
	before, _ := runEnd()
	t.Cleanup(func() { setRunEnd(before) })
	start := time.Now()
	soon := start.Add(time.Minute).Round(time.Millisecond)
	t.Setenv(endEnv, soon.Format(time.RFC3339Nano))
	beginRun(start)
	if got, ok := runEnd(); !ok || !got.Equal(soon) {
		t.Errorf("with %s in the environment, the run ends at %v (%v), want %v", endEnv, got, ok, soon)
	}
	t.Setenv(endEnv, start.Add(100*time.Hour).Format(time.RFC3339Nano))
	beginRun(start)
	got, ok := runEnd()
	if d := flagDuration("test.timeout"); d > 0 {
		if want := start.Add(d - timeoutMargin(d)); !ok || !got.Equal(want) {
			t.Errorf("with -timeout %v, the run ends at %v, want %v", d, got, want)
		}
	}
	for d, want := range map[time.Duration]time.Duration{
		10 * time.Minute: 15 * time.Second,
		time.Minute:      3 * time.Second,
		2 * time.Second:  time.Second,
	} {
		if got := timeoutMargin(d); got != want {
			t.Errorf("timeoutMargin(%v) = %v, want %v", d, got, want)
		}
	}
}

// engineChildEnv makes the test binary the child of TestEngineFilesStayWithTheWorker.
const engineChildEnv = "UPCHECK_TEST_ENGINE_CHILD"

// TestEngineFilesStayWithTheWorker starts the test binary as a fuzzing
// worker is started, with a pipe's write end as descriptor 4 (fuzz_out),
// and has it start a command that outlives it, as a server command left
// behind by a killed worker does. The pipe must reach end of file when the
// worker ends: the fuzzing engine reads fuzz_out to its end to stop a
// worker, and a command holding it would keep the engine waiting forever.
func TestEngineFilesStayWithTheWorker(t *testing.T) {
	if os.Getenv(engineChildEnv) != "" {
		keepEngineFilesFromCommands()
		cmd := exec.Command("sh", "-c", "sleep 5")
		if err := cmd.Start(); err != nil {
			os.Exit(3)
		}
		os.Exit(0) // leaving the command running, as a killed worker does
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	defer inW.Close()
	child := exec.Command(os.Args[0], "-test.run=^TestEngineFilesStayWithTheWorker$")
	child.Env = append(os.Environ(), engineChildEnv+"=1")
	child.ExtraFiles = []*os.File{in, w} // descriptors 3 and 4
	if err := child.Run(); err != nil {
		t.Fatalf("the child: %v", err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("reading the pipe: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("the pipe stayed open after the worker ended: the command it started holds it")
		r.Close()
		<-done
	}
}

func TestIsStall(t *testing.T) {
	if !IsStall(errStalled(4 * time.Second).Error()) {
		t.Errorf("IsStall(%q) = false", errStalled(4*time.Second))
	}
	for _, s := range []string{"harness error: stalled: x", "TCP-EOF [a]: expected EOF; observed stalled", ""} {
		if IsStall(s) {
			t.Errorf("IsStall(%q) = true", s)
		}
	}
}
