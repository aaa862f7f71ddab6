//go:build unix

package target

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Bounds on stopping a server command. They are not scaled: a server that
// ignores SIGTERM is killed, whatever the machine.
const (
	// stopGrace is how long a command has to end after SIGTERM before its
	// process group gets SIGKILL.
	stopGrace = 2 * time.Second
	// drainTimeout is how long the harness waits, once every process of
	// the group is gone, for the rest of the output to be read. Only a
	// process that left the group can hold the pipe longer.
	drainTimeout = time.Second
	// groupGoneTimeout bounds the wait for the killed group's last
	// processes to be reaped.
	groupGoneTimeout = time.Second
)

// proc is one run of a server command: `sh -c CMD` in its own process group
// (its pid is the group's id), with stdout and stderr going to one pipe read
// into the target's line ring.
type proc struct {
	cmd   *exec.Cmd
	pid   int
	start time.Time
	out   *lineRing
	first uint64 // the ring's sequence number when the run began
	log   *slog.Logger

	done  chan struct{} // closed once the shell is reaped
	state *os.ProcessState

	rd       *os.File
	readDone chan struct{} // closed when the output is read to its end
}

// commandDir is where server commands run: the root of the Go module the
// harness runs in (the directory holding go.mod, above the working
// directory), so that a relative path in UPCHECK_SERVER_CMD means the same
// under make conformance, go test ./suites (which runs in suites/) and go
// tool ginkgo. Outside a module it is the working directory. A dir given
// (Settings.Dir) wins.
func commandDir(dir string) string {
	if dir != "" {
		return dir
	}
	if root, err := ModuleRoot(); err == nil {
		return root
	}
	wd, _ := os.Getwd()
	return wd
}

// startProc starts command under `sh -c` in a new process group. Output goes
// to out through a pipe of its own rather than through exec's copying
// goroutines, so that waiting for the process never waits for a grandchild
// that keeps the pipe open.
func startProc(dir, command string, out *lineRing, log *slog.Logger) (*proc, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = commandDir(dir)
	cmd.Stdout, cmd.Stderr = wr, wr // Stdin nil: /dev/null
	cmd.SysProcAttr = sysProcAttr()
	first := out.seq()
	if err := cmd.Start(); err != nil {
		rd.Close()
		wr.Close()
		return nil, err
	}
	wr.Close()
	p := &proc{
		cmd: cmd, pid: cmd.Process.Pid, start: time.Now(), out: out, first: first, log: log,
		done: make(chan struct{}), rd: rd, readDone: make(chan struct{}),
	}
	go func() {
		cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()
	go func() {
		defer close(p.readDone)
		defer rd.Close()
		out.copyLines(rd, log, p.pid)
	}()
	log.Info("server command started", "pid", p.pid, "command", command)
	return p, nil
}

// exited reports whether the shell has ended (and been reaped).
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// status says how the shell ended: "status 3", "status 127: command not
// found", "signal 9: killed". It is valid once p.done is closed.
func (p *proc) status() string {
	if ws, ok := p.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("signal %d: %s", int(ws.Signal()), ws.Signal())
	}
	code := p.state.ExitCode()
	switch code {
	case 126:
		return "status 126: not executable"
	case 127:
		return "status 127: command not found"
	}
	return fmt.Sprintf("status %d", code)
}

// exitCode is the shell's exit code, -1 if a signal ended it.
func (p *proc) exitCode() int { return p.state.ExitCode() }

// signal sends sig to the whole process group. A group that is already gone
// (ESRCH) is not an error.
func (p *proc) signal(sig syscall.Signal) {
	if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.log.Warn("server command: signal failed", "pgid", p.pid, "signal", sig.String(), "err", err)
	}
}

// stop ends the run: SIGTERM to the group, up to stopGrace for the shell to
// end, then SIGKILL to the group (whatever is left of it), reap, and read
// the output to its end. It returns once nothing of the run is left.
func (p *proc) stop() {
	if !p.exited() {
		p.signal(syscall.SIGTERM)
		t := time.NewTimer(stopGrace)
		select {
		case <-p.done:
		case <-t.C:
			p.log.Warn("server command ignored SIGTERM; killing it", "pgid", p.pid, "grace", stopGrace)
		}
		t.Stop()
	}
	p.finish()
}

// finish cleans up after the shell: SIGKILL to what is left of the group
// (children the shell left behind would hold the ports), wait for the shell,
// then for the output.
func (p *proc) finish() {
	p.signal(syscall.SIGKILL)
	<-p.done
	t := time.NewTimer(drainTimeout)
	select {
	case <-p.readDone:
	case <-t.C:
		// A process that left the group still holds the pipe: stop reading.
		p.log.Warn("server command output still open after its group ended; closing it", "pgid", p.pid)
		p.rd.Close()
		<-p.readDone
	}
	t.Stop()
	p.awaitGroupGone()
	p.log.Info("server command ended", "pid", p.pid, "how", p.status(), "ran", time.Since(p.start))
}

// awaitGroupGone waits, bounded by groupGoneTimeout, until no process of the
// group is alive: the shell is reaped by now, but what it started dies of
// the SIGKILL a moment later. The group id cannot be reused while any member
// is left, so polling it is safe.
func (p *proc) awaitGroupGone() {
	deadline := time.Now().Add(groupGoneTimeout)
	for groupAlive(p.pid) {
		if time.Now().After(deadline) {
			p.log.Warn("server command: processes of its group still alive after SIGKILL", "pgid", p.pid)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lastOutput returns at most n of the run's last output lines, one string.
func (p *proc) lastOutput(n int) string {
	return strings.Join(p.out.since(p.first, n), "\n")
}
