//go:build unix && !linux

package target

import "syscall"

// groupAlive reports whether a process of group pgid is still there.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
