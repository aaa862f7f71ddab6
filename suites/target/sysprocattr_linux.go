package target

import "syscall"

// sysProcAttr puts a server command in a process group of its own, so that
// the whole group (the shell and what it started) can be signalled at once.
// Pdeathsig kills the shell, at least, if the harness itself dies without
// stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
