package target

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// procStat is what the harness reads of a process in /proc/PID/stat.
type procStat struct {
	pid, ppid, pgrp int
	state           byte   // R, S, D, Z (zombie), X (dead), ...
	start           uint64 // clock ticks after boot: with pid, names the process
}

// dead reports whether the process has ended, even if not yet reaped.
func (s procStat) dead() bool { return s.state == 'Z' || s.state == 'X' }

// readStat reads /proc/PID/stat. The error wraps fs.ErrNotExist when there
// is no such process.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(pid, string(b))
}

// parseStat parses a stat line: pid (comm) state ppid pgrp ... starttime
// (the 22nd field); comm may hold spaces and ')'.
func parseStat(pid int, s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("bad stat line")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, errors.New("bad stat line")
	}
	st := procStat{pid: pid, state: f[0][0]}
	var err1, err2, err3 error
	st.ppid, err1 = strconv.Atoi(f[1])
	st.pgrp, err2 = strconv.Atoi(f[2])
	st.start, err3 = strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return procStat{}, err
	}
	return st, nil
}

// allStats reads the stat of every process there is; processes that end
// meanwhile are left out.
func allStats() []procStat {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]procStat, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			out = append(out, st)
		}
	}
	return out
}

// descendants returns every process below root in the process tree (its
// children, theirs, ...), zombies included. It follows the children lists
// of /proc/PID/task/TID/children, and reads every process's stat where the
// kernel has no such lists.
func descendants(root int) []procStat {
	if !childrenLists() {
		return descendantsByScan(root)
	}
	var out []procStat
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		kids, ok := childrenOf(pid)
		if !ok {
			return descendantsByScan(root)
		}
		for _, k := range kids {
			if st, err := readStat(k); err == nil {
				out = append(out, st)
				queue = append(queue, k)
			}
		}
	}
	return out
}

// childrenLists reports whether the kernel keeps children lists
// (CONFIG_PROC_CHILDREN).
var childrenLists = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(syscall.Gettid()) + "/children")
	return err == nil
})

// childrenOf lists the children of pid's threads; ok is false when the
// kernel does not keep such lists. A process that ended has none.
func childrenOf(pid int) (kids []int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, true
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(dir + "/" + t.Name()); err == nil {
				return nil, false // the thread is there, its list is not
			}
		}
		for _, f := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids, true
}

// descendantsByScan is descendants from the stat of every process.
func descendantsByScan(root int) []procStat {
	kids := map[int][]procStat{}
	for _, st := range allStats() {
		kids[st.ppid] = append(kids[st.ppid], st)
	}
	var out []procStat
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, k := range kids[pid] {
			if k.pid != root {
				out = append(out, k)
				queue = append(queue, k.pid)
			}
		}
	}
	return out
}

// groupAlive reports whether a process of group pgid is still alive. A
// zombie does not count: it runs nothing and holds no socket, and when the
// shell of a server command dies before its children, they may be
// reparented to init, which may take its time to reap them (some container
// inits take over a second).
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return true // no /proc: the kill above is all there is to go by
	}
	for _, st := range allStats() {
		if st.pgrp == pgid && !st.dead() {
			return true
		}
	}
	return false
}

// processID names this process for as long as it runs: "PID:START", START
// being its start time in clock ticks after boot, so that a later process
// given the same pid is not taken for it. It is "" without /proc.
func processID(pid int) string {
	st, err := readStat(pid)
	if err != nil {
		return ""
	}
	return strconv.Itoa(pid) + ":" + strconv.FormatUint(st.start, 10)
}

// ended reports whether the process named id (as processID gives it) has
// ended: it is gone, a zombie, or its pid now names another process. An id
// that cannot be read, or a /proc that cannot be, counts as running: only a
// positive sign of the end counts.
func ended(id string) bool {
	pidS, startS, ok := strings.Cut(id, ":")
	pid, err1 := strconv.Atoi(pidS)
	start, err2 := strconv.ParseUint(startS, 10, 64)
	if !ok || err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	st, err := readStat(pid)
	switch {
	case errors.Is(err, os.ErrNotExist):
		_, self := os.Stat("/proc/self/stat")
		return self == nil
	case err != nil:
		return false
	}
	return st.dead() || st.start != start
}
