package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/servers/serverstest"
)

// upperc is the binary under test, built once by TestMain.
var upperc string

func TestMain(m *testing.M) { cmdtest.Main(m, "upperc", &upperc) }

// result is how a run of upperc ended.
type result struct {
	stdout, stderr string
	code           int
}

// runUpperc runs the binary to completion, bounded so that a hang fails
// the test instead of stalling it.
func runUpperc(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, upperc, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running upperc %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("upperc %q did not finish in time", args)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

func startServer(t *testing.T) *serverstest.Server {
	s := serverstest.NewServer()
	t.Cleanup(func() { s.Close() })
	return s
}

// checkOneLineError asserts a failure message: one line, no Go runtime text.
func checkOneLineError(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "upperc: ") {
		t.Errorf("stderr %q, want one line starting with \"upperc: \"", r.stderr)
	}
	for _, bad := range []string{"goroutine", "panic", "runtime."} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("stderr has %q: %q", bad, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}
}

func TestCountThree(t *testing.T) {
	s := startServer(t)
	for _, proto := range []string{"-tcp", "-udp"} {
		addr := map[string]string{"-tcp": s.TCPAddr, "-udp": s.UDPAddr}[proto]
		r := runUpperc(t, proto, addr, "-count", "3")
		if r.code != 0 || r.stdout != "CLIENT33333\nCLIENT33333\nCLIENT33333\n" || r.stderr != "" {
			t.Errorf("upperc %s -count 3: status %d, stdout %q, stderr %q", proto, r.code, r.stdout, r.stderr)
		}
	}
}

func TestConcurrencyAndMsg(t *testing.T) {
	s := startServer(t)
	for _, proto := range []string{"-tcp", "-udp"} {
		addr := map[string]string{"-tcp": s.TCPAddr, "-udp": s.UDPAddr}[proto]
		r := runUpperc(t, proto, addr, "-count", "2", "-concurrency", "3", "-msg", "héllo, wörld 1")
		want := strings.Repeat("HéLLO, WöRLD 1\n", 6)
		if r.code != 0 || r.stdout != want {
			t.Errorf("upperc %s: status %d, stdout %q, stderr %q; want %q", proto, r.code, r.stdout, r.stderr, want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	ln.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpAddr := pc.LocalAddr().String()
	pc.Close()

	r := runUpperc(t, "-tcp", tcpAddr, "-count", "1")
	checkOneLineError(t, r, 1, "dial tcp "+tcpAddr+": connect: connection refused")
	r = runUpperc(t, "-tcp", tcpAddr, "-count", "1", "-concurrency", "4")
	checkOneLineError(t, r, 1, "connection refused")
	r = runUpperc(t, "-udp", udpAddr, "-count", "1")
	checkOneLineError(t, r, 1, "udp "+udpAddr+": clients: no reply after 3 tries: connection refused")
}

// echoServer answers with the bytes it got, not their uppercase.
func echoServer(t *testing.T) string {
	ln, err := servers.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.Copy(c, c)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestWrongReply(t *testing.T) {
	addr := echoServer(t)
	r := runUpperc(t, "-tcp", addr, "-count", "1")
	checkOneLineError(t, r, 1, `wrong reply from tcp `+addr+`: expected "CLIENT33333", got "client33333"`)
}

func TestUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "give exactly one of -tcp ADDR and -udp ADDR"},
		{[]string{"-tcp", "a:1", "-udp", "a:1"}, "give exactly one"},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
		{[]string{"-tcp", "a:1", "-count", "x"}, `invalid value "x" for flag -count`},
		{[]string{"-tcp", "a:1", "-count", "-1"}, "-count -1 is negative"},
		{[]string{"-tcp", "a:1", "-concurrency", "0"}, "-concurrency 0 is below 1"},
		{[]string{"-tcp", "a:1", "-timeout", "0s"}, "-timeout 0s is not positive"},
		{[]string{"-tcp", "a:1", "-interval", "-1s"}, "-interval -1s is negative"},
		{[]string{"-udp", "a:1", "-tries", "0"}, "-tries 0 is below 1"},
		{[]string{"-tcp", "a:1", "-tries", "2"}, "-tries applies to -udp only"},
		{[]string{"-tcp", "a:1", "extra"}, `unexpected argument "extra"`},
		{[]string{"-tcp", "a:1", "-msg", ""}, "-msg is empty"},
		{[]string{"-udp", "a:1", "-msg", ""}, "-msg is empty"},
	} {
		r := runUpperc(t, tt.args...)
		checkOneLineError(t, r, 2, tt.want)
		if r.stdout != "" {
			t.Errorf("upperc %q wrote %q to stdout", tt.args, r.stdout)
		}
	}
}

func TestHelp(t *testing.T) {
	r := runUpperc(t, "-h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: upperc") || !strings.Contains(r.stdout, "-interval") || r.stderr != "" {
		t.Fatalf("upperc -h: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestLoopUntilInterrupted(t *testing.T) {
	s := startServer(t)
	for _, proto := range []string{"-tcp", "-udp"} {
		addr := map[string]string{"-tcp": s.TCPAddr, "-udp": s.UDPAddr}[proto]
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		cmd := exec.CommandContext(ctx, upperc, proto, addr, "-interval", "10ms")
		cmd.WaitDelay = time.Second
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Replies keep coming: wait for three, then interrupt.
		lines := bufio.NewScanner(stdout)
		for n := 0; n < 3; n++ {
			if !lines.Scan() || lines.Text() != "CLIENT33333" {
				t.Fatalf("%s: reply %d is %q (%v)", proto, n, lines.Text(), lines.Err())
			}
		}
		cmd.Process.Signal(os.Interrupt)
		for lines.Scan() {
			if lines.Text() != "CLIENT33333" {
				t.Errorf("%s: reply %q", proto, lines.Text())
			}
		}
		err = cmd.Wait()
		cancel()
		if err != nil || stderr.Len() != 0 {
			t.Fatalf("%s: after SIGINT: %v, stderr %q; want exit 0 and nothing", proto, err, stderr.String())
		}
	}
}

func TestDefaultIntervalInLoopMode(t *testing.T) {
	cfg, err := parse([]string{"-tcp", "a:1"}, io.Discard)
	if err != nil || cfg.interval != time.Second || cfg.count != 0 || string(cfg.msg) != "client33333" {
		t.Fatalf("defaults = %+v, %v", cfg, err)
	}
	cfg, err = parse([]string{"-tcp", "a:1", "-count", "3"}, io.Discard)
	if err != nil || cfg.interval != 0 {
		t.Fatalf("-count 3: interval %v, %v; want none", cfg.interval, err)
	}
	cfg, err = parse([]string{"-udp", "a:1", "-interval", "0s"}, io.Discard)
	if err != nil || cfg.interval != 0 {
		t.Fatalf("-interval 0s in loop mode: interval %v, %v; want none", cfg.interval, err)
	}
}

func TestRunInProcess(t *testing.T) {
	s := startServer(t)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-udp", s.UDPAddr, "-count", "2", "-concurrency", "4", "-msg", "abc"}, &stdout, &stderr)
	if code != 0 || stdout.String() != strings.Repeat("ABC\n", 8) || stderr.Len() != 0 {
		t.Fatalf("status %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	// An interrupt is no failure, even before the first reply.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	stdout.Reset()
	code = run(ctx, []string{"-tcp", s.TCPAddr}, &stdout, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Fatalf("interrupted: status %d, stderr %q", code, stderr.String())
	}
}
