//go:build unix && !linux

package target

import (
	"strconv"
	"syscall"
)

// groupAlive reports whether a process of group pgid is still there.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// procStat is a process as descendants returns it; without /proc there
// are none.
type procStat struct{ pid, pgrp int }

// descendants is empty here: without /proc the process tree is not read,
// and orphans go to init, out of reach.
func descendants(int) []procStat { return nil }

// processID is "PID": without /proc, a start time is not read.
func processID(pid int) string { return strconv.Itoa(pid) }

// ended reports whether the process named id has ended; here that is never
// known for sure (a pid may be reused), so never said.
func ended(string) bool { return false }
