package target

import "syscall"

// shellAttr is how the supervisor starts a server command's shell: in a
// process group of its own, so that the shell and what it starts can be
// signalled at once, and with SIGKILL as its parent-death signal. The
// kernel sends that signal when the thread that forked the shell ends; the
// supervisor forks from its main thread, locked to its main goroutine, so
// the signal comes when the supervisor itself ends, however it ends.
func shellAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// becomeSubreaper makes this process (the supervisor) the child subreaper
// of what it starts: a process below it whose parent ends is reparented to
// it rather than to init, so that nothing the server command forks (a
// daemon that double-forks and calls setsid, say) leaves its reach.
func becomeSubreaper() error {
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER, linux/prctl.h
