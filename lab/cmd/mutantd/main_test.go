package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/lab/mutants"
)

// binary is mutantd built once for the tests.
var binary string

func TestMain(m *testing.M) { cmdtest.Main(m, "mutantd", &binary) }

const wait = 10 * time.Second

// runQuick runs mutantd to completion with a bounded time.
func runQuick(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = wait
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(wait, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestList(t *testing.T) {
	stdout, stderr, code := runQuick(t, "-list")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	all := mutants.All()
	if len(lines) != len(all) {
		t.Fatalf("%d lines; want %d", len(lines), len(all))
	}
	for i, line := range lines {
		f := strings.Split(line, "\t")
		m := all[i]
		if len(f) != 3 || f[0] != m.Name || f[1] != strings.Join(m.Breaks, ",") || f[2] != m.Bug {
			t.Errorf("line %d = %q; want %s, %s, %s tab-separated", i, line, m.Name, strings.Join(m.Breaks, ","), m.Bug)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-mutant", "NoSuchMutant", "-tcp", "127.0.0.1:0"}, 2, `unknown mutant "NoSuchMutant"`},
		{[]string{"-tcp", "127.0.0.1:0"}, 2, "-mutant NAME is required"},
		{[]string{"-mutant", "Serial"}, 2, "give -tcp, -udp or both"},
		{[]string{"-bogus"}, 2, "flag provided but not defined"},
		{[]string{"-mutant", "Serial", "-tcp", "127.0.0.1:0", "extra"}, 2, "unexpected argument"},
		{[]string{"-mutant", "Serial", "-tcp", "127.0.0.1:99999"}, 1, "mutantd: mutants: Serial: listen tcp"},
	} {
		_, stderr, code := runQuick(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("mutantd %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

func TestBindFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, stderr, code := runQuick(t, "-mutant", "Serial", "-tcp", ln.Addr().String(), "-udp", "127.0.0.1:0")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "address already in use") {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line", code, stderr)
	}
}

// daemon is a running mutantd.
type daemon struct {
	cmd      *exec.Cmd
	stderr   *bufio.Reader
	tcp, udp string
	rest     chan string // stderr after the address line
}

var addrLine = regexp.MustCompile(`: tcp (\S+) udp (\S+)$`)

// startDaemon runs mutantd on ephemeral ports and waits for the line that
// says where it listens.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(binary, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, stderr: bufio.NewReader(pipe), rest: make(chan string, 1)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			d.wait(t)
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := d.stderr.ReadString('\n')
		lines <- line
		rest, _ := io.ReadAll(d.stderr)
		d.rest <- string(rest)
	}()
	select {
	case line := <-lines:
		m := addrLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			t.Fatalf("first stderr line %q does not give the addresses", line)
		}
		d.tcp, d.udp = m[1], m[2]
	case <-time.After(wait):
		t.Fatal("mutantd did not log its addresses")
	}
	return d
}

// wait waits for the process to exit and returns its code and the rest of
// its stderr.
func (d *daemon) wait(t *testing.T) (int, string) {
	t.Helper()
	var rest string
	select {
	case rest = <-d.rest:
	case <-time.After(wait):
		d.cmd.Process.Kill()
		rest = <-d.rest
		t.Errorf("mutantd did not exit within %v", wait)
	}
	d.cmd.Wait()
	return d.cmd.ProcessState.ExitCode(), rest
}

func TestRunsMutantUntilSignalled(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		d := startDaemon(t, "-mutant", "UDPTwice", "-tcp", "127.0.0.1:0", "-udp", "0")
		// The faulty UDP side answers twice.
		uc, err := net.Dial("udp", d.udp)
		if err != nil {
			t.Fatal(err)
		}
		twice := false
		for try := 0; try < 5 && !twice; try++ {
			uc.Write([]byte("ping"))
			n := 0
			for n < 2 {
				uc.SetReadDeadline(time.Now().Add(time.Second))
				b := make([]byte, 16)
				k, err := uc.Read(b)
				if err != nil {
					break
				}
				if string(b[:k]) != "PING" {
					t.Fatalf("got %q", b[:k])
				}
				n++
			}
			twice = n == 2
		}
		uc.Close()
		if !twice {
			t.Fatal("never saw two replies to one datagram")
		}
		// The reference TCP side is correct.
		tc, err := net.DialTimeout("tcp", d.tcp, wait)
		if err != nil {
			t.Fatal(err)
		}
		tc.SetDeadline(time.Now().Add(wait))
		tc.Write([]byte("client33333"))
		b := make([]byte, 11)
		if _, err := io.ReadFull(tc, b); err != nil || string(b) != "CLIENT33333" {
			t.Fatalf("tcp: %q, %v", b, err)
		}
		tc.Close()

		d.cmd.Process.Signal(sig)
		if code, rest := d.wait(t); code != 0 {
			t.Fatalf("after %v: exit %d, stderr %q; want 0", sig, code, rest)
		}
	}
}

func TestExitsWhenTheServerDies(t *testing.T) {
	d := startDaemon(t, "-mutant", "UDPDieOnOversize", "-udp", "127.0.0.1:0")
	if d.tcp != "-" {
		t.Fatalf("tcp %q; want none", d.tcp)
	}
	uc, err := net.Dial("udp", d.udp)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uc.Write(make([]byte, 9000))
	code, rest := d.wait(t)
	if code != 1 || !strings.Contains(rest, "server died") || strings.Count(rest, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying the server died", code, rest)
	}
}

// TestServesHostileServers runs a hostile server by name: DieAfter answers
// as the reference until its count of connections, and the next one ends
// the process, with status 1 and a line saying why.
func TestServesHostileServers(t *testing.T) {
	d := startDaemon(t, "-mutant", "DieAfter", "-tcp", "127.0.0.1:0")
	if d.udp != "-" {
		t.Fatalf("udp %q; want none", d.udp)
	}
	for i := range mutants.DefaultDieAfter + 1 {
		want := "A"
		if i == mutants.DefaultDieAfter {
			want = "" // the connection that kills it is closed unanswered
		}
		c, err := net.DialTimeout("tcp", d.tcp, wait)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(wait))
		c.Write([]byte("a"))
		got := make([]byte, 1)
		n, _ := c.Read(got)
		c.Close()
		if string(got[:n]) != want {
			t.Fatalf("connection %d got %q, want %q", i+1, got[:n], want)
		}
	}
	code, rest := d.wait(t)
	if code != 1 || rest != fmt.Sprintf("mutantd: DieAfter: server died: tcp server: dying after %d connections\n", mutants.DefaultDieAfter) {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying why it died", code, rest)
	}
}
