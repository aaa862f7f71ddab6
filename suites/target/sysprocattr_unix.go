//go:build unix && !linux

package target

import "syscall"

// sysProcAttr puts a server command in a process group of its own, so that
// the whole group (the shell and what it started) can be signalled at once.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
