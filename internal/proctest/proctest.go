//go:build linux

package proctest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Proc is a process seen by a test: its role ("command", "child",
// "grandchild"), pid and start time (clock ticks after boot), which tell it
// from a later process given the same pid.
type Proc struct {
	Role  string
	Pid   int
	Start uint64
}

func (p Proc) String() string { return p.Role + " " + strconv.Itoa(p.Pid) }

// Script files of Forking, in a directory of their own.
var scripts = map[string]string{
	// $1: the pid file; the rest: the server, exec'd in place.
	"command.sh": `pids=$1; shift
echo "command $$" >> "$pids"
sh "$(dirname "$0")/child.sh" "$pids" &
exec "$@"
`,
	// Forks the grandchild through a subshell that exits at once, so that
	// the grandchild is orphaned; setsid takes it out of the group.
	"child.sh": `echo "child $$" >> "$1"
( setsid sh "$(dirname "$0")/grandchild.sh" "$1" & )
exec sleep 300
`,
	"grandchild.sh": `echo "grandchild $$" >> "$1"
exec sleep 300
`,
}

// Forking returns a server command (placeholders and all) that writes
// "ROLE PID" lines to pids for itself, a child and a grandchild, then runs
// server in its own place: the child and the grandchild sleep for five
// minutes, the grandchild in a session of its own and orphaned. It skips
// the test when setsid(1) is not installed.
func Forking(t testing.TB, pids, server string) string {
	t.Helper()
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid not found")
	}
	dir := t.TempDir()
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "sh " + filepath.Join(dir, "command.sh") + " " + pids + " " + server
}

// ReadPids waits, up to within, until pids lists n processes, and returns
// them with their start times. It fails the test if they do not come.
func ReadPids(t testing.TB, pids string, n int, within time.Duration) []Proc {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var procs []Proc
		if b, err := os.ReadFile(pids); err == nil {
			sc := bufio.NewScanner(strings.NewReader(string(b)))
			for sc.Scan() {
				role, pidS, _ := strings.Cut(sc.Text(), " ")
				pid, err := strconv.Atoi(pidS)
				if err != nil {
					continue
				}
				p := Proc{Role: role, Pid: pid}
				if st, err := readStat(pid); err == nil {
					p.Start = st.start
				}
				procs = append(procs, p)
			}
		}
		if len(procs) >= n {
			return procs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lists %d processes after %v, want %d: %v", pids, len(procs), within, n, procs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Alive reports whether p still runs: its pid names a process started when
// p was, and not a zombie.
func Alive(p Proc) bool {
	st, err := readStat(p.Pid)
	return err == nil && st.start == p.Start && st.state != 'Z' && st.state != 'X'
}

// CheckGone fails the test unless every process of procs has ended within
// the bound, naming those left.
func CheckGone(t testing.TB, procs []Proc, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := slices.DeleteFunc(slices.Clone(procs), func(p Proc) bool { return !Alive(p) })
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("still running %v after the harness ended: %v", within, left)
			Kill(left)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Tree returns root and every process below it, as they are now.
func Tree(root int) []Proc {
	ents, _ := os.ReadDir("/proc")
	kids := map[int][]Proc{}
	var rootP *Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		p := Proc{Role: "process", Pid: pid, Start: st.start}
		if pid == root {
			rootP = &p
		}
		kids[st.ppid] = append(kids[st.ppid], p)
	}
	if rootP == nil {
		return nil
	}
	out := []Proc{*rootP}
	for i := 0; i < len(out); i++ {
		out = append(out, kids[out[i].Pid]...)
	}
	return out
}

// Kill sends SIGKILL to each process of procs that is still the one seen.
func Kill(procs []Proc) {
	for _, p := range procs {
		if Alive(p) {
			syscall.Kill(p.Pid, syscall.SIGKILL)
		}
	}
}

type stat struct {
	ppid  int
	state byte
	start uint64
}

// readStat reads ppid, state and start time from /proc/PID/stat.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, errors.New("bad stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return stat{}, errors.New("bad stat")
	}
	ppid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return stat{}, err
	}
	return stat{ppid: ppid, state: f[0][0], start: start}, nil
}
