//go:build unix

package target

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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
// (the shell's pid is the group's id), started and watched by a supervisor
// (supervisor.go), with stdout and stderr going to one pipe read into the
// target's line ring.
type proc struct {
	sup   *exec.Cmd // the supervisor
	pid   int       // the shell's
	start time.Time
	out   *lineRing
	first uint64 // the ring's sequence number when the run began
	log   *slog.Logger

	ctl     *os.File // the harness's end of the control pipe
	ctlOnce sync.Once

	done chan struct{} // closed once the shell has ended
	ws   syscall.WaitStatus
	lost bool // the supervisor ended without saying how the shell did

	supDone chan struct{} // closed once the supervisor is reaped

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

// startProc starts command under `sh -c` in a new process group, through a
// supervisor that ends it when the harness ends. Output goes to out through
// a pipe of its own rather than through exec's copying goroutines, so that
// waiting for the process never waits for a grandchild that keeps the pipe
// open.
func startProc(dir, command string, out *lineRing, log *slog.Logger) (p *proc, err error) {
	exe, err := supervisorExe()
	if err != nil {
		return nil, err
	}
	var files []*os.File // closed on the way out, but for those kept
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	pipe := func() (r, w *os.File) {
		if err != nil {
			return nil, nil
		}
		r, w, err = os.Pipe()
		files = append(files, r, w)
		return r, w
	}
	rd, wr := pipe()       // output: command -> harness
	ctlR, ctlW := pipe()   // control: harness -> supervisor
	statR, statW := pipe() // status: supervisor -> harness
	if err != nil {
		return nil, err
	}
	sup := &exec.Cmd{
		Path: exe, Args: []string{supervisorName, command},
		Dir: commandDir(dir), Env: supervisorEnv(),
		Stdout: wr, Stderr: wr, // Stdin nil: /dev/null
		ExtraFiles:  []*os.File{ctlR, statW},
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	first := out.seq()
	if err := sup.Start(); err != nil {
		return nil, err
	}
	files = []*os.File{wr, ctlR, statW} // the supervisor's ends
	p = &proc{
		sup: sup, start: time.Now(), out: out, first: first, log: log, ctl: ctlW,
		done: make(chan struct{}), supDone: make(chan struct{}), rd: rd, readDone: make(chan struct{}),
	}
	go func() {
		sup.Wait()
		close(p.supDone)
	}()
	status := bufio.NewReader(statR)
	statR.SetReadDeadline(time.Now().Add(supervisorStart))
	var verb, arg string
	var rerr error
	for verb == "" || verb == "warn" {
		if verb == "warn" {
			log.Warn("server command: " + arg)
		}
		var line string
		line, rerr = status.ReadString('\n')
		if rerr != nil {
			break
		}
		verb, arg, _ = strings.Cut(strings.TrimSpace(line), " ")
	}
	statR.SetReadDeadline(time.Time{})
	if verb == "pid" {
		p.pid, rerr = strconv.Atoi(arg)
	}
	if verb != "pid" || rerr != nil {
		files = append(files, rd, statR)
		ctlW.Close()
		sup.Process.Kill()
		<-p.supDone
		if verb == "error" {
			return nil, errors.New(arg)
		}
		if rerr == nil {
			return nil, fmt.Errorf("its supervisor said %q", verb+" "+arg)
		}
		return nil, fmt.Errorf("its supervisor did not start (%s)", reason(rerr))
	}
	go p.watch(status, statR)
	go func() {
		defer close(p.readDone)
		defer rd.Close()
		out.copyLines(rd, log, p.pid)
	}()
	log.Info("server command started", "pid", p.pid, "supervisor", sup.Process.Pid, "command", command)
	return p, nil
}

// watch reads the supervisor's status lines until it ends.
func (p *proc) watch(status *bufio.Reader, f *os.File) {
	defer f.Close()
	exited := false
	for {
		line, err := status.ReadString('\n')
		if err != nil {
			break
		}
		verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch verb {
		case "exit":
			if n, err := strconv.Atoi(arg); err == nil && !exited {
				p.ws, exited = syscall.WaitStatus(n), true
				close(p.done)
			}
		case "warn":
			p.log.Warn("server command: "+arg, "pgid", p.pid)
		}
	}
	if !exited {
		// The supervisor ended (killed by someone) before the shell:
		// what it would have killed, the harness kills.
		p.log.Warn("server command: its supervisor ended first; killing the group", "pgid", p.pid)
		p.signal(syscall.SIGKILL)
		p.lost = true
		close(p.done)
	}
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
	if p.lost {
		return "status unknown: its supervisor was killed"
	}
	if p.ws.Signaled() {
		return fmt.Sprintf("signal %d: %s", int(p.ws.Signal()), p.ws.Signal())
	}
	code := p.ws.ExitStatus()
	switch code {
	case 126:
		return "status 126: not executable"
	case 127:
		return "status 127: command not found"
	}
	return fmt.Sprintf("status %d", code)
}

// exitCode is the shell's exit code, -1 if a signal ended it.
func (p *proc) exitCode() int {
	if p.lost || !p.ws.Exited() {
		return -1
	}
	return p.ws.ExitStatus()
}

// signal sends sig to the whole process group. A group that is already gone
// (ESRCH) is not an error.
func (p *proc) signal(sig syscall.Signal) {
	if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.log.Warn("server command: signal failed", "pgid", p.pid, "signal", sig.String(), "err", err)
	}
}

// stop ends the run: SIGTERM to the group (and to what left it), up to
// stopGrace for the shell to end, then SIGKILL to whatever is left, reap,
// and read the output to its end. It returns once nothing of the run is
// left.
func (p *proc) stop() {
	if !p.exited() {
		if _, err := p.ctl.Write([]byte{'t'}); err != nil {
			p.log.Warn("server command: cannot ask for SIGTERM", "pgid", p.pid, "err", err)
		}
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

// finish cleans up after the shell: the supervisor kills and reaps what is
// left (children the shell left behind would hold the ports) and exits;
// then the output is read to its end.
func (p *proc) finish() {
	p.ctlOnce.Do(func() { p.ctl.Close() })
	t := time.NewTimer(killBound + time.Second)
	select {
	case <-p.supDone:
	case <-t.C:
		p.log.Warn("server command: its supervisor does not end; killing it", "pgid", p.pid)
		p.sup.Process.Kill()
		<-p.supDone
	}
	t.Stop()
	<-p.done
	t = time.NewTimer(drainTimeout)
	select {
	case <-p.readDone:
	case <-t.C:
		// A process out of reach still holds the pipe: stop reading.
		p.log.Warn("server command output still open after its processes ended; closing it", "pgid", p.pid)
		p.rd.Close()
		<-p.readDone
	}
	t.Stop()
	p.awaitGroupGone()
	p.log.Info("server command ended", "pid", p.pid, "how", p.status(), "ran", time.Since(p.start))
}

// awaitGroupGone waits, bounded by groupGoneTimeout, until no process of the
// group is alive: the supervisor reaped what it could, but what was out of
// its reach dies of the SIGKILL a moment later. The group id cannot be
// reused while any member is left, so polling it is safe.
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
