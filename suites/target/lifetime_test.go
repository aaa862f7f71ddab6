//go:build linux

package target

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/proctest"
)

// helperEnv makes the test binary a helper process (TestHelper) instead
// of running tests: "harness:HOW" starts the target of the UPCHECK_*
// settings, prints "up", then ends as HOW says (by itself, "exit" or
// "panic", once its stdin closes); "serve:PORT" is an
// uppercase TCP server on 127.0.0.1:PORT, "serveudp:PORT" a UDP one;
// "hold:PORT" listens on TCP port PORT (0: a free one), "holdudp:PORT" binds
// UDP port PORT and answers nothing; both print the port and wait to be
// killed.
const helperEnv = "UPCHECK_TARGET_TEST_HELPER"

// pidsEnv, for helper "harness", names the file where the command's three
// processes write their pids: the helper says "up" once all three did.
const pidsEnv = "UPCHECK_TARGET_TEST_PIDS"

// helperLife bounds a helper process: none outlives a test run for long.
const helperLife = 60 * time.Second

// TestHelper is not a test: it is the body of the helper processes the
// tests below start from this test binary, and does nothing otherwise.
func TestHelper(t *testing.T) {
	mode, arg, _ := strings.Cut(os.Getenv(helperEnv), ":")
	switch mode {
	case "":
		t.Skip("a helper process, run by other tests")
	case "harness":
		s, err := FromEnv()
		if err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		tg, err := Start(context.Background(), s, nil)
		_ = tg // never closed: the harness ends without Close
		if err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		if pids := os.Getenv(pidsEnv); pids != "" {
			// Every process of the command has started.
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				if b, _ := os.ReadFile(pids); strings.Count(string(b), "\n") >= 3 {
					break
				}
			}
		}
		fmt.Println("up")
		if arg == "exit" || arg == "panic" {
			// Not before the test has seen the command's processes
			// running: it closes stdin then.
			go func() {
				time.Sleep(helperLife)
				os.Exit(4)
			}()
			io.Copy(io.Discard, os.Stdin)
		}
		switch arg {
		case "exit": // no Close: what go test -timeout and os.Exit do
			os.Exit(0)
		case "panic":
			panic("the harness crashes")
		}
		time.Sleep(helperLife) // until killed
		os.Exit(4)
	case "serve":
		ln, err := net.Listen("tcp", "127.0.0.1:"+arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go func() {
			time.Sleep(helperLife)
			os.Exit(4)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(1)
			}
			go func() {
				defer c.Close()
				b := make([]byte, 1024)
				for {
					n, err := c.Read(b)
					if err != nil {
						return
					}
					c.Write([]byte(strings.ToUpper(string(b[:n]))))
				}
			}()
		}
	case "hold":
		ln, err := net.Listen("tcp", "127.0.0.1:"+arg)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		time.Sleep(helperLife)
		os.Exit(4)
	case "holdudp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:"+arg)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(pc.LocalAddr().(*net.UDPAddr).Port)
		time.Sleep(helperLife)
		os.Exit(4)
	case "serveudp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:"+arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go func() {
			time.Sleep(helperLife)
			os.Exit(4)
		}()
		b := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(b)
			if err != nil {
				os.Exit(1)
			}
			pc.WriteTo([]byte(strings.ToUpper(string(b[:n]))), from)
		}
	}
	t.Fatalf("unknown helper %q", mode)
}

// helper returns a command running this test binary as helper mode.
func helper(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelper$")
	cmd.Env = append(withoutVars(os.Environ(), helperEnv, EnvServerCmd, EnvTCP, EnvUDP), helperEnv+"="+mode)
	return cmd
}

// startHelper starts cmd and returns the first line it prints; the process
// is killed and reaped when the test ends.
func startHelper(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-lines:
		return line
	case <-time.After(30 * time.Second):
		t.Fatal("the helper printed nothing in 30 s")
		return ""
	}
}

// forkingServer is a server command whose server is this test binary
// (helper "serve"), with a child and an escaping grandchild; it returns
// the command and the file their pids go to.
func forkingServer(t *testing.T) (cmd, pids string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pids = filepath.Join(t.TempDir(), "pids")
	server := "env " + helperEnv + "=serve:{tcp} " + exe + " -test.run=^TestHelper$"
	return proctest.Forking(t, pids, server), pids
}

// TestServerCommandEndsWithItsHarness: whatever ends the harness, the
// server command, its child and its grandchild (which left the process
// group and was orphaned) end within a few seconds.
func TestServerCommandEndsWithItsHarness(t *testing.T) {
	for _, how := range []string{"SIGKILL", "exit", "panic", "SIGKILL of an upcheck process above"} {
		t.Run(how, func(t *testing.T) {
			server, pids := forkingServer(t)
			h := helper(t, "harness:"+strings.Fields(how)[0])
			h.Env = append(h.Env, EnvServerCmd+"="+server, pidsEnv+"="+pids)
			var above *exec.Cmd
			if strings.Contains(how, "above") {
				// An upcheck process that started the harness, as the
				// campaign starts go test: here a sleep, named in
				// UPCHECK_HARNESS as every upcheck process names itself.
				above = exec.Command("sleep", "60")
				if err := above.Start(); err != nil {
					t.Fatal(err)
				}
				defer above.Wait()
				defer above.Process.Kill()
				h.Env = append(withoutVars(h.Env, harnessEnv), harnessEnv+"="+processID(above.Process.Pid))
			}
			// Closing it lets a harness that ends by itself end.
			end, err := h.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if line := startHelper(t, h); line != "up" {
				t.Fatalf("the harness said %q", line)
			}
			procs := proctest.ReadPids(t, pids, 3, 10*time.Second)
			owner := processID(h.Process.Pid)
			for _, p := range procs {
				if !proctest.Alive(p) {
					t.Fatalf("%v is not running before the harness ends", p)
				}
				if got := markedWithin(p.Pid, owner, 5*time.Second); got != owner {
					t.Errorf("%v is marked %s=%q, want %q", p, ownerEnv, got, owner)
				}
			}
			switch how {
			case "exit", "panic":
				end.Close()
			case "SIGKILL":
				h.Process.Kill()
			case "SIGKILL of an upcheck process above":
				above.Process.Kill()
			}
			proctest.CheckGone(t, procs, 5*time.Second)
		})
	}
}

// markedWithin returns the owner mark of process pid once it is want, or
// as it is after within: each process of the command writes its pid just
// before it execs its program, and during an exec its environment can read
// empty.
func markedWithin(pid int, want string, within time.Duration) string {
	for end := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if got := ownerMark(pid); got == want || time.Now().After(end) {
			return got
		}
	}
}

// TestPortHeldBy: a port held by a process is described with its pid,
// command line and whose it is, by the UPCHECK_OWNER mark.
func TestPortHeldBy(t *testing.T) {
	gone := exec.Command("sleep", "60")
	running := exec.Command("sleep", "60")
	for _, c := range []*exec.Cmd{gone, running} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	goneID, runningID := processID(gone.Process.Pid), processID(running.Process.Pid)
	gone.Process.Kill()
	gone.Wait()
	defer running.Wait()
	defer running.Process.Kill()

	for _, tc := range []struct{ owner, want string }{
		{"", "another program"},
		{goneID, "a server left behind by an upcheck run that ended (pid " + strconv.Itoa(gone.Process.Pid) + ")"},
		{runningID, "a server of another upcheck run, still running (pid " + strconv.Itoa(running.Process.Pid) + ")"},
		{processID(os.Getpid()), "a server this upcheck run started"},
	} {
		h := helper(t, "hold:0")
		if tc.owner != "" {
			h.Env = append(h.Env, ownerEnv+"="+tc.owner)
		}
		port := startHelper(t, h)
		a := "127.0.0.1:" + port
		want := fmt.Sprintf("port %s (tcp) is held by pid %d (`%s`), %s", a, h.Process.Pid, shortCmd(h.Path+" -test.run=^TestHelper$"), tc.want)
		if got := portsHeld(a, ""); got != want {
			t.Errorf("owner %q:\n got %s\nwant %s", tc.owner, got, want)
		}
	}
	free := freeTCPPort(t)
	if got := portsHeld("127.0.0.1:"+strconv.Itoa(free), "127.0.0.1:"+strconv.Itoa(free)); got != "" {
		t.Errorf("a free port: %q, want nothing said", got)
	}
}

func freeTCPPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestCommandOnAPortLeftBehind: a run that cannot bind because a server
// left behind by an ended upcheck run holds its port is retried on fresh
// ports, and the output says, in one line, who holds the port. (UDP: a
// left-behind TCP listener would answer the probe's connect itself.)
func TestCommandOnAPortLeftBehind(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	portFile, held := filepath.Join(dir, "port"), filepath.Join(dir, "held")
	// The first run tells the test its port and waits until the test has
	// a left-behind server hold it, then fails as a server that cannot
	// bind; the second serves.
	cmd := "if [ -e " + held + " ]; then " + helperEnv + "=serveudp:{udp} exec " + exe + " -test.run=^TestHelper$; fi; " +
		"echo {udp} > " + portFile + "; while [ ! -e " + held + " ]; do sleep 0.02; done; echo 'bind: address already in use' >&2; exit 1"

	gone := exec.Command("sleep", "60")
	if err := gone.Start(); err != nil {
		t.Fatal(err)
	}
	goneID := processID(gone.Process.Pid)
	gone.Process.Kill()
	gone.Wait()

	holder := make(chan *exec.Cmd, 1)
	go func() {
		defer close(holder)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			b, err := os.ReadFile(portFile)
			port := strings.TrimSpace(string(b))
			if err != nil || port == "" {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			h := helper(t, "holdudp:"+port)
			h.Env = append(h.Env, ownerEnv+"="+goneID)
			out, _ := h.StdoutPipe()
			if h.Start() != nil {
				return
			}
			holder <- h
			bufio.NewReader(out).ReadString('\n') // listening
			os.WriteFile(held, nil, 0o644)
			return
		}
	}()
	tg, pidLog, err := startLogged(t, Settings{ServerCmd: cmd})
	h := <-holder
	if h != nil {
		defer h.Wait()
		defer h.Process.Kill()
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	if h == nil {
		t.Fatal("the holder did not start")
	}
	b, _ := os.ReadFile(portFile)
	want := fmt.Sprintf("upcheck: the command exited (status 1) before answering; port 127.0.0.1:%s (udp) is held by pid %d (`%s`), "+
		"a server left behind by an upcheck run that ended (pid %d); trying fresh ports",
		strings.TrimSpace(string(b)), h.Process.Pid, shortCmd(exe+" -test.run=^TestHelper$"), gone.Process.Pid)
	if out := tg.Output(); !strings.Contains(out, "\n"+want) {
		t.Errorf("Output() = %q\nwant the line %q", out, want)
	}
	if n := len(pidLog.started()); n != 2 {
		t.Errorf("ran %d times, want twice", n)
	}
	tg.Close()
	pidLog.checkGone(t)
}

// TestSupervisorKilled: a supervisor killed on its own takes the shell
// with it (its parent-death signal), the harness kills the rest of the
// group, and the next check is told the server went away.
func TestSupervisorKilled(t *testing.T) {
	server, pids := forkingServer(t)
	tg, pidLog, err := startLogged(t, Settings{ServerCmd: server})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	procs := proctest.ReadPids(t, pids, 3, 10*time.Second)
	defer proctest.Kill(procs) // the grandchild left the group: out of reach
	tg.mu.Lock()
	sup := tg.proc.sup.Process
	tg.mu.Unlock()
	sup.Kill()
	var group []proctest.Proc
	for _, p := range procs {
		if p.Role != "grandchild" {
			group = append(group, p)
		}
	}
	proctest.CheckGone(t, group, 5*time.Second)
	err = tg.Healthy("TCP-EOF")
	if derr, ok := err.(*DownError); !ok || derr.Reason != "exited (status unknown: its supervisor was killed)" || !derr.Restarted {
		t.Errorf("Healthy = %#v", err)
	}
	tg.Close()
	pidLog.checkGone(t)
}
