//go:build unix && !linux

package target

import "syscall"

// shellAttr is how the supervisor starts a server command's shell: in a
// process group of its own, so that the shell and what it starts can be
// signalled at once. There is no parent-death signal here.
func shellAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// becomeSubreaper does nothing here: orphans go to init.
func becomeSubreaper() error { return nil }
