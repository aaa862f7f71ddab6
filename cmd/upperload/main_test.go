package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	upperloadcmd "github.com/upcheck/upcheck/cmd/internal/upperload"
	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/internal/ipv6test"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/servers/serverstest"
)

// upperload is the binary under test, built once by TestMain.
var upperload string

func TestMain(m *testing.M) { cmdtest.Main(m, "upperload", &upperload) }

// runTimeout bounds every run of the binary: the runs are bounded by small
// counts, so only a hang waits it out.
const runTimeout = 20 * time.Second

// result is how a run of upperload ended.
type result struct {
	stdout, stderr string
	code           int
}

// command returns upperload with args, in an environment without any
// UPCHECK_* setting (so the caller's environment cannot pick the target).
func command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, upperload, args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "UPCHECK_") })
	cmd.WaitDelay = time.Second
	return cmd
}

// runUpperload runs the binary to completion.
func runUpperload(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running upperload %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("upperload %q did not finish in time", args)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

func startServer(t *testing.T) *serverstest.Server {
	t.Helper()
	s := serverstest.NewServer()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing reference servers: %v", err)
		}
	})
	return s
}

// checkOneLineError asserts a failure: the exit status, and one line on
// standard error with want in it and no Go runtime text.
func checkOneLineError(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "upperload: ") || !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q: want one line \"upperload: ...%s...\"", r.stderr, want)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:"} {
		if strings.Contains(r.stderr, bad) {
			t.Fatalf("stderr has %q: %q", bad, r.stderr)
		}
	}
}

func TestEveryModeAgainstReference(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		args []string
		want string // a line of the summary
	}{
		{[]string{"-mode", "bulk", "-conns", "2", "-count", "50"}, "(50 chunks, 819200 bytes verified)"},
		{[]string{"-mode", "reqresp", "-conns", "4", "-count", "400"}, "(400 round trips, 25600 bytes verified)"},
		{[]string{"-mode", "churn", "-conns", "2", "-count", "40", "-size", "3000"}, "(40 connections, 120000 bytes verified)"},
		{[]string{"-mode", "idle-hold", "-conns", "30", "-count", "2", "-interval", "10ms"}, "idle-hold   held 30 of 30, died 0"},
		{[]string{"-mode", "udp", "-conns", "2", "-count", "100", "-size", "1400"}, "udp         lost "},
	} {
		t.Run(tc.args[1], func(t *testing.T) {
			addr := []string{"-tcp", srv.TCPAddr}
			if tc.args[1] == "udp" {
				addr = []string{"-udp", srv.UDPAddr}
			}
			r := runUpperload(t, append(addr, tc.args...)...)
			if r.code != upperloadcmd.ExitOK {
				t.Fatalf("exit status %d, want 0; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{tc.want, "latency     p50 ", "errors      mismatch 0 reset 0 timeout 0 refused 0 closed 0 other 0", "result      PASS"} {
				if !strings.Contains(r.stdout, want) {
					t.Fatalf("summary %q lacks %q", r.stdout, want)
				}
			}
		})
	}
}

func TestInProcessReferenceByDefault(t *testing.T) {
	r := runUpperload(t, "-mode", "reqresp", "-count", "100")
	if r.code != upperloadcmd.ExitOK || !strings.Contains(r.stdout, "against reference servers (in process)") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want a pass against the reference in process", r.code, r.stdout, r.stderr)
	}
}

// TestInProcessReferenceOnHost: -host puts the reference on ::1.
func TestInProcessReferenceOnHost(t *testing.T) {
	ipv6test.Need(t)
	r := runUpperload(t, "-host", "::1", "-mode", "reqresp", "-count", "100")
	if r.code != upperloadcmd.ExitOK || !strings.Contains(r.stdout, "against reference servers (in process) on ::1") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want a pass against the reference on ::1", r.code, r.stdout, r.stderr)
	}
}

func TestJSON(t *testing.T) {
	srv := startServer(t)
	r := runUpperload(t, "-udp", srv.UDPAddr, "-mode", "udp", "-count", "50", "-json")
	if r.code != upperloadcmd.ExitOK {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	var out struct {
		Target   string           `json:"target"`
		Mode     string           `json:"mode"`
		Messages int64            `json:"messages"`
		Lost     int64            `json:"lost"`
		Errors   map[string]int64 `json:"errors"`
		Latency  map[string]float64
		Status   string `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Mode != "udp" || out.Messages+out.Lost != 50 || out.Status != "PASS" || len(out.Errors) != 6 || out.Errors["mismatch"] != 0 {
		t.Fatalf("JSON %+v: want udp, 50 datagrams answered or lost, PASS, six error kinds at 0", out)
	}
	for _, k := range []string{"p50_us", "p90_us", "p99_us", "p999_us", "max_us"} {
		if _, ok := out.Latency[k]; !ok {
			t.Fatalf("latency %v lacks %s", out.Latency, k)
		}
	}
}

// reversingServer answers each chunk with its uppercase reversed: wrong
// bytes of the right length.
func reversingServer(t *testing.T) string {
	t.Helper()
	ln, err := servers.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					c.SetDeadline(time.Now().Add(runTimeout))
					n, err := c.Read(buf)
					if n > 0 {
						p := buf[:n]
						servers.UpperASCII(p)
						slices.Reverse(p)
						if _, err := c.Write(p); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestMismatchExitsOne(t *testing.T) {
	addr := reversingServer(t)
	for _, mode := range []string{"bulk", "reqresp", "churn", "idle-hold"} {
		r := runUpperload(t, "-tcp", addr, "-mode", mode, "-count", "3", "-interval", "1ms")
		if r.code != upperloadcmd.ExitFailed {
			t.Fatalf("%s: exit %d, want 1; stdout %q stderr %q", mode, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "result      FAIL (mismatch: a conformance failure)") ||
			!strings.Contains(r.stdout, "mismatch    "+mode+": ") {
			t.Fatalf("%s: summary %q does not report the mismatch", mode, r.stdout)
		}
	}
}

func TestBadUsage(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "flood"}, `-mode "flood" is not one of`},
		{[]string{"-conns", "0"}, "-conns 0 is below 1"},
		{[]string{"-conns", "many"}, `invalid value "many" for flag -conns`},
		{[]string{"-size", "-1"}, "-size -1 is negative"},
		{[]string{"-size", "2000000"}, "-size 2000000 is over"},
		{[]string{"-duration", "-1s"}, "-duration -1s is negative"},
		{[]string{"-count", "-5"}, "-count -5 is negative"},
		{[]string{"-rate", "-1"}, "-rate -1 is not a number"},
		{[]string{"-timeout", "0s"}, "-timeout 0s is not positive"},
		{[]string{"-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-tcp", "localhost"}, `-tcp: "localhost" is not host:port`},
		{[]string{"-time-scale", "0"}, "0 must be greater than 0"},
		{[]string{"-host", "localhost"}, `-host: "localhost" is not an IP address`},
		{[]string{"-mode", "udp", "-size", "9000"}, "-size 9000 is over the declared UDP maximum 8192"},
		{[]string{"-mode", "udp", "-tcp", srv.TCPAddr, "-count", "1"}, "serves no UDP, which -mode udp needs"},
		{[]string{"-mode", "reqresp", "-udp", srv.UDPAddr, "-count", "1"}, "serves no TCP, which -mode reqresp needs"},
	} {
		r := runUpperload(t, tc.args...)
		checkOneLineError(t, r, upperloadcmd.ExitUsage, tc.want)
		if r.stdout != "" {
			t.Fatalf("%q: stdout %q, want nothing", tc.args, r.stdout)
		}
	}
}

func TestUnreachableTargetIsAHarnessError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := runUpperload(t, "-tcp", addr, "-count", "1")
	checkOneLineError(t, r, upperloadcmd.ExitUsage, "-tcp: nothing answers at "+addr)
}

func TestHelp(t *testing.T) {
	r := runUpperload(t, "-h")
	if r.code != upperloadcmd.ExitOK || !strings.Contains(r.stdout, "usage: upperload") || !strings.Contains(r.stdout, "-mode") {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestInterruptPrintsTheSummarySoFar(t *testing.T) {
	srv := startServer(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
		cmd := command(ctx, "-tcp", srv.TCPAddr, "-mode", "bulk", "-conns", "2", "-duration", "1h")
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first progress line says the load is running.
		lines := bufio.NewScanner(stderr)
		if !lines.Scan() || !strings.Contains(lines.Text(), "MB/s") {
			t.Fatalf("first stderr line %q, want a progress line", lines.Text())
		}
		cmd.Process.Signal(sig)
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		stopped := ctx.Err() == nil
		cancel()
		if !stopped {
			t.Fatalf("%v: upperload did not stop", sig)
		}
		if code := cmd.ProcessState.ExitCode(); code != upperloadcmd.ExitInterrupted {
			t.Fatalf("%v: exit %d, want 130; stdout %q", sig, code, stdout.String())
		}
		if out := stdout.String(); !strings.Contains(out, "(interrupted: the figures are those of the run so far)") ||
			!strings.Contains(out, "result      INTERRUPTED (no failure so far)") {
			t.Fatalf("%v: summary %q", sig, out)
		}
	}
}
