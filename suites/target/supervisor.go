//go:build unix

package target

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// A server command does not run as the harness's child but as the child of
// a supervisor: the harness's own executable started again in a mode of its
// own (the init below), so that nothing but the harness binary is needed.
// The supervisor holds one end of a pipe whose other end only the harness
// holds; the pipe reaches end of file when the harness ends, however it ends
// (SIGKILL, an os.Exit that skips every cleanup, a crash), and then the
// supervisor kills everything the command started. It also:
//
//   - starts the command's shell in a process group of its own, with a
//     parent-death signal (Linux), from its locked main thread;
//   - on Linux, is a child subreaper, so that a process that leaves the
//     group (setsid) and is orphaned (a double fork) is reparented to it
//     and killed too: it kills every process below it, not only the group;
//   - watches the harness processes named in UPCHECK_HARNESS (an upcheck
//     process that started the harness, such as cmd/campaign above go test
//     and its fuzz workers) and kills everything when one of them ends;
//   - marks the command with UPCHECK_OWNER, so that a port held by a server
//     left behind can be told from one held by another program.
//
// The protocol, on two pipes given as fds 3 and 4: the harness writes 't' on
// fd 3 for SIGTERM (to the group and to what left it), and closes fd 3 to
// have every process killed and reaped, after which the supervisor exits.
// The supervisor writes lines on fd 4: "pid N" once the shell runs, "exit
// W" (its raw wait status) once it ended, "error TEXT" when it could not be
// started, "warn TEXT" for the harness's log.

// EnvHarness names the upcheck processes above a program, so that the
// servers it starts die with them; a program that cleans UPCHECK_*
// settings from the environment of a harness it starts keeps this one.
const EnvHarness = "UPCHECK_HARNESS"

// Environment variables of the supervision.
const (
	// superviseEnv, set to superviseValue, with supervisorName as argv[0],
	// starts a binary that imports this package as a supervisor.
	superviseEnv   = "UPCHECK_SUPERVISE"
	superviseValue = "1"
	supervisorName = "upcheck-supervisor"
	// harnessEnv lists the upcheck processes above this one, each as
	// PID:START (START: its start time, so that a reused pid is not taken
	// for it), space-separated. Every process that imports this package
	// adds itself at start; a supervisor kills its server command when one
	// of them ends.
	harnessEnv = EnvHarness
	// ownerEnv marks a server command and what it starts with the harness
	// process that started it, as PID:START.
	ownerEnv = "UPCHECK_OWNER"
)

// Bounds of the supervision; not scaled, like stopGrace.
const (
	// harnessPoll is how often a supervisor looks whether the harness
	// processes of UPCHECK_HARNESS still run.
	harnessPoll = 100 * time.Millisecond
	// killBound bounds the supervisor's killing of what is left: processes
	// in uninterruptible sleep may take that long to die.
	killBound = 3 * time.Second
	// supervisorStart bounds the wait for a supervisor to report its
	// shell started.
	supervisorStart = 10 * time.Second
)

func init() {
	if len(os.Args) == 2 && os.Args[0] == supervisorName && os.Getenv(superviseEnv) == superviseValue {
		// syscall.Exit, not os.Exit: with the race detector, os.Exit
		// sleeps a second (GORACE atexit_sleep_ms) before exiting.
		syscall.Exit(supervise(os.Args[1]))
	}
	if id := processID(os.Getpid()); id != "" {
		os.Setenv(harnessEnv, strings.TrimSpace(os.Getenv(harnessEnv)+" "+id))
	}
}

// supervisorExe is the executable a supervisor runs: this one. On Linux,
// /proc/self/exe, which works even when the file was removed meanwhile.
func supervisorExe() (string, error) {
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			return "/proc/self/exe", nil
		}
	}
	return os.Executable()
}

// supervisorEnv is the supervisor's environment: the harness's, with the
// supervise switch and the owner mark.
func supervisorEnv() []string {
	env := withoutVars(os.Environ(), superviseEnv, ownerEnv)
	return append(env, superviseEnv+"="+superviseValue, ownerEnv+"="+processID(os.Getpid()))
}

// withoutVars returns env without the variables named.
func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// supervisor is the state of a supervisor process.
type supervisor struct {
	shell    int // the shell's pid, its group's id
	reported bool
	status   *os.File
}

func (s *supervisor) say(format string, args ...any) {
	fmt.Fprintf(s.status, format+"\n", args...)
}

// supervise is a supervisor's whole life; its result is the exit status.
// It never writes to stdout or stderr, which it shares with the command.
func supervise(command string) int {
	// The shell's parent-death signal follows the thread that forks it:
	// fork from the main thread, which lives as long as the process.
	runtime.LockOSThread()
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	ctl := os.NewFile(3, "control")
	s := &supervisor{status: os.NewFile(4, "status")}
	if err := becomeSubreaper(); err != nil {
		s.say("warn cannot become a child subreaper: %v", err)
	}
	harness := strings.Fields(os.Getenv(harnessEnv))
	if id := endedHarness(harness); id != "" {
		s.say("error the upcheck process that started the harness (%s) has ended", id)
		return 1
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	sh, err := exec.LookPath("sh")
	if err != nil {
		s.say("error %v", err)
		return 1
	}
	pid, err := syscall.ForkExec(sh, []string{"sh", "-c", command}, &syscall.ProcAttr{
		Env:   withoutVars(os.Environ(), superviseEnv),
		Files: []uintptr{0, 1, 2},
		Sys:   shellAttr(),
	})
	if err != nil {
		s.say("error %v", err)
		return 1
	}
	s.shell = pid
	s.say("pid %d", pid)

	ctlc := make(chan byte)
	go func() {
		b := make([]byte, 1)
		for {
			if _, err := ctl.Read(b); err != nil {
				close(ctlc)
				return
			}
			ctlc <- b[0]
		}
	}()
	var tick <-chan time.Time
	if len(harness) > 0 {
		tick = time.NewTicker(harnessPoll).C
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGCHLD {
				s.reap()
				continue
			}
			s.killAll()
			return 0
		case b, ok := <-ctlc:
			if !ok { // the harness is done with the command, or gone
				s.killAll()
				return 0
			}
			if b == 't' {
				s.terminate()
			}
		case <-tick:
			if id := endedHarness(harness); id != "" {
				s.killAll()
				return 0
			}
		}
	}
}

// endedHarness returns the first harness process of ids that has ended.
func endedHarness(ids []string) string {
	for _, id := range ids {
		if ended(id) {
			return id
		}
	}
	return ""
}

// reap reaps every child that has ended, reporting the shell's status; none
// says that no child is left at all (as a subreaper: no process below).
func (s *supervisor) reap() (none bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.ECHILD):
			return true
		case err != nil || pid <= 0:
			return false
		}
		if pid == s.shell && !s.reported {
			s.reported = true
			s.say("exit %d", int(ws))
		}
	}
}

// terminate sends SIGTERM to the shell's group and, once, to every process
// below the supervisor that left it.
func (s *supervisor) terminate() {
	syscall.Kill(-s.shell, syscall.SIGTERM)
	for _, d := range descendants(os.Getpid()) {
		if d.pgrp != s.shell {
			syscall.Kill(d.pid, syscall.SIGTERM)
		}
	}
}

// killAll sends SIGKILL to the shell's group and to every process below
// the supervisor, again for what they forked meanwhile, and reaps them,
// until none is left or killBound has passed.
func (s *supervisor) killAll() {
	deadline := time.Now().Add(killBound)
	// The group once: once its members are gone its id may be reused.
	// What they forked after is below the supervisor, killed one by one.
	syscall.Kill(-s.shell, syscall.SIGKILL)
	for {
		if s.reap() {
			return
		}
		for _, d := range descendants(os.Getpid()) {
			syscall.Kill(d.pid, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			s.say("warn processes of the server command still alive %v after SIGKILL", killBound)
			return
		}
		time.Sleep(time.Millisecond)
	}
}
