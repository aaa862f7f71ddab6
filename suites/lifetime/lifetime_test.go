//go:build linux

package lifetime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/proctest"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// Bounds of the tests.
const (
	// gone is how long the server command's processes may take to end
	// once their harness has.
	gone = 5 * time.Second
	// upWithin bounds the wait for the server command's three processes,
	// building the harness included (go test -fuzz compiles first).
	upWithin = 4 * time.Minute
	// runBound bounds a whole harness run.
	runBound = 5 * time.Minute
)

// harness is a harness process a test starts: its output goes to a file
// (a pipe could be held open by what it leaves behind), and it is killed,
// with every process below it, when the test ends.
type harness struct {
	cmd   *exec.Cmd
	out   string
	below []proctest.Proc // the processes below it when it was killed
}

func startHarness(t *testing.T, cmd *exec.Cmd) *harness {
	t.Helper()
	h := &harness{cmd: cmd, out: filepath.Join(t.TempDir(), "output")}
	f, err := os.Create(h.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// What the harness left running that is not the server command's
		// (go test under a killed campaign) ends with the test.
		proctest.Kill(append(h.below, proctest.Tree(cmd.Process.Pid)...))
		cmd.Process.Kill()
		cmd.Wait()
	})
	return h
}

func (h *harness) output() string {
	b, _ := os.ReadFile(h.out)
	return string(b)
}

// kill ends the harness by SIGKILL and reaps it.
func (h *harness) kill() {
	h.below = proctest.Tree(h.cmd.Process.Pid)
	h.cmd.Process.Signal(syscall.SIGKILL)
	h.cmd.Wait()
}

// wait waits, up to runBound, for the harness to end by itself.
func (h *harness) wait(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		h.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(runBound):
		h.cmd.Process.Kill()
		<-done
		t.Fatalf("the harness still ran after %v; its output:\n%s", runBound, h.output())
	}
}

// forking returns a server command of upperd (TCP, and UDP when udp) that
// forks a child and a grandchild, and the file their pids go to.
func forking(t *testing.T, udp bool) (cmd, pids string) {
	upperd := binary(t, "cmd/upperd", false)
	pids = filepath.Join(t.TempDir(), "pids")
	server := upperd + " -tcp 127.0.0.1:{tcp} -udp="
	if udp {
		server += "127.0.0.1:{udp}"
	}
	return proctest.Forking(t, pids, server), pids
}

// env is the environment of a harness run: the test's, less any UPCHECK_
// setting, plus kv.
func env(kv ...string) []string {
	return append(suiterun.CleanEnv(os.Environ()), kv...)
}

// TestSuiteKilled: the suite binary killed by SIGKILL while it checks a
// server leaves nothing of the server command behind.
func TestSuiteKilled(t *testing.T) {
	suite := binary(t, "suites", true)
	server, pids := forking(t, true)
	cmd := exec.Command(suite)
	cmd.Dir = filepath.Join(moduleDir(t), "suites")
	cmd.Env = env(target.EnvServerCmd + "=" + server)
	h := startHarness(t, cmd)
	procs := proctest.ReadPids(t, pids, 3, upWithin)
	h.kill()
	proctest.CheckGone(t, procs, gone)
}

// TestUpcheckCheckKilled: upcheck check killed by SIGKILL while it checks
// a server leaves nothing of the server command behind.
func TestUpcheckCheckKilled(t *testing.T) {
	upcheck := binary(t, "cmd/upcheck", false)
	server, pids := forking(t, true)
	cmd := exec.Command(upcheck, "check", "--server-cmd", server)
	cmd.Dir = t.TempDir()
	cmd.Env = env()
	h := startHarness(t, cmd)
	procs := proctest.ReadPids(t, pids, 3, upWithin)
	h.kill()
	proctest.CheckGone(t, procs, gone)
}

// TestSuiteTimedOut: the suite binary ended by its -test.timeout (what go
// test -timeout gives it: a panic that skips every cleanup) leaves nothing
// of the server command behind. The time scale makes the suite's waits for
// silence long enough that it cannot end before the timeout.
func TestSuiteTimedOut(t *testing.T) {
	suite := binary(t, "suites", true)
	server, pids := forking(t, true)
	cmd := exec.Command(suite, "-test.timeout=8s")
	cmd.Dir = filepath.Join(moduleDir(t), "suites")
	cmd.Env = env(target.EnvServerCmd+"="+server, target.EnvTimeScale+"=5")
	h := startHarness(t, cmd)
	procs := proctest.ReadPids(t, pids, 3, upWithin)
	h.wait(t)
	if out := h.output(); !strings.Contains(out, "panic: test timed out after 8s") {
		t.Fatalf("the suite did not time out; its output:\n%s", out)
	}
	proctest.CheckGone(t, procs, gone)
}

// TestCampaignKilled: the campaign killed by SIGKILL while go test -fuzz
// runs under it leaves nothing of the server commands its fuzz workers
// started, though go test and the workers themselves live on for a while.
func TestCampaignKilled(t *testing.T) {
	campaign := binary(t, "cmd/campaign", false)
	server, pids := forking(t, false)
	cmd := exec.Command(campaign, "-fuzztime=2m", "-checks=0", "-pkgs=./suites/lifetime",
		"-targets=^FuzzServerCommand$", "-parallel=1", "-nofailfile")
	cmd.Dir = moduleDir(t)
	cmd.Env = env(target.EnvServerCmd+"="+server, fuzzEnv+"=1", "UPCHECK_FUZZ_FAILURES="+t.TempDir())
	h := startHarness(t, cmd)
	procs := proctest.ReadPids(t, pids, 3, upWithin)
	h.kill()
	proctest.CheckGone(t, procs, gone)
}

// TestFuzzWorkerKilledByTheEngine: a fuzz worker that does not end when
// go test -fuzz is done with it is killed by the engine (SIGINT, then
// SIGKILL) before it can close its target; the server command it started
// does not outlive it.
func TestFuzzWorkerKilledByTheEngine(t *testing.T) {
	server, pids := forking(t, false)
	slow := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-run=^$", "-fuzz=^FuzzServerCommand$", "-fuzztime=3s", "-parallel=1", ".")
	cmd.Env = env(target.EnvServerCmd+"="+server, fuzzEnv+"=1", slowEndEnv+"="+slow)
	h := startHarness(t, cmd)
	procs := proctest.ReadPids(t, pids, 3, upWithin)
	h.wait(t)
	if _, err := os.Stat(filepath.Join(slow, "began")); err != nil {
		t.Fatalf("no worker began to end slowly; go test said:\n%s", h.output())
	}
	if _, err := os.Stat(filepath.Join(slow, "ended")); err == nil {
		t.Fatalf("the worker ended by itself: the engine did not kill it; go test said:\n%s", h.output())
	}
	proctest.CheckGone(t, procs, gone)
}
