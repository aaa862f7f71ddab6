package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// The binaries, built once by TestMain: the suites' test binary, and upperd
// for a server command that cannot bind its port.
var suiteBin, upperdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	suiteBin, upperdBin = filepath.Join(dir, "suites.test"), filepath.Join(dir, "upperd")
	for _, args := range [][]string{
		{"test", "-c", "-o", suiteBin, "github.com/upcheck/upcheck/suites"},
		{"build", "-o", upperdBin, "github.com/upcheck/upcheck/cmd/upperd"},
	} {
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// badInputTimeout bounds one run with a bad setting: it must end at once,
// or nearly (an unreachable UDP target is asked a few times).
const badInputTimeout = 10 * time.Second

// freePort returns a loopback port nothing listens on (TCP and UDP), picked
// by binding and closing.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestBadInput runs the suite binary with each bad setting: it must exit
// non-zero within badInputTimeout, print the one-line harness error that
// names the setting, run no spec, mark every requirement of its report as
// not judged, and print no panic or stack trace.
func TestBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests
	closed := freePort(t)

	for _, tc := range []struct {
		name string
		env  []string
		args []string // the suite's flags, as given after "--"
		// line is the start of the line the error must be: the harness's
		// prefix, the setting, and what is wrong.
		line string
		// says is more the output must hold (the server's own words).
		says string
	}{
		{name: "UPCHECK_TCP not host:port", env: []string{"UPCHECK_TCP=localhost"},
			line: `UPCHECK_TCP: "localhost" is not host:port`},
		{name: "UPCHECK_TCP without a host", env: []string{"UPCHECK_TCP=:9000"},
			line: `UPCHECK_TCP: ":9000" has no host`},
		{name: "UPCHECK_UDP port out of range", env: []string{"UPCHECK_UDP=127.0.0.1:99999"},
			line: `UPCHECK_UDP: port 99999 in "127.0.0.1:99999" is out of range 1..65535`},
		{name: "UPCHECK_UDP port not a number", env: []string{"UPCHECK_UDP=127.0.0.1:http"},
			line: `UPCHECK_UDP: port "http" in "127.0.0.1:http" is not a number`},
		{name: "-tcp flag not host:port", args: []string{"-tcp", "9000"},
			line: `-tcp: "9000" is not host:port`},
		{name: "UPCHECK_TIME_SCALE not a number", env: []string{"UPCHECK_TIME_SCALE=fast"},
			line: `UPCHECK_TIME_SCALE: "fast" is not a number`},
		{name: "-time-scale zero", args: []string{"-time-scale", "0"},
			line: `-time-scale: 0 must be greater than 0`},
		{name: "UPCHECK_EXPECT_FAIL unknown ID", env: []string{"UPCHECK_EXPECT_FAIL=TCP-EOF,TCP-NOPE"},
			line: `UPCHECK_EXPECT_FAIL: unknown requirement "TCP-NOPE"`},
		{name: "-expect-fail file missing", args: []string{"-expect-fail", "@no-such-xfail.txt"},
			line: `-expect-fail: cannot read no-such-xfail.txt: no such file or directory`},
		{name: "UPCHECK_UDP_MAX out of range", env: []string{"UPCHECK_UDP_MAX=0"},
			line: `UPCHECK_UDP_MAX: 0 is out of range 1..65507`},
		{name: "UPCHECK_HOST not loopback", env: []string{"UPCHECK_HOST=0.0.0.0"},
			line: `UPCHECK_HOST: 0.0.0.0 is not a loopback address`},
		{name: "-host a name", args: []string{"-host", "localhost"},
			line: `-host: "localhost" is not an IP address`},
		{name: "-host and -tcp disagree", args: []string{"-host", "::1", "-tcp", "127.0.0.1:9000"},
			line: `-host: ::1, but -tcp is 127.0.0.1:9000: the harness dials the address given`},
		{name: "server command and address", env: []string{"UPCHECK_SERVER_CMD=" + upperdBin + " -tcp 127.0.0.1:{tcp}", "UPCHECK_TCP=127.0.0.1:9000"},
			line: `UPCHECK_SERVER_CMD: cannot be combined with UPCHECK_TCP`},
		{name: "placeholder missing", env: []string{"UPCHECK_SERVER_CMD=" + upperdBin + " -tcp 127.0.0.1:8080"},
			line: fmt.Sprintf(`UPCHECK_SERVER_CMD: "%s -tcp 127.0.0.1:8080" has neither {tcp} nor {udp}`, upperdBin)},
		{name: "server command not found", env: []string{"UPCHECK_SERVER_CMD=no-such-upcheck-server --port {tcp}"},
			line: `UPCHECK_SERVER_CMD: "no-such-upcheck-server --port {tcp}" exited (status 127: command not found) before answering`,
			says: "not found"},
		{name: "server command's port in use",
			// A server that ignores the port it is given and binds one
			// that is taken: the placeholder is in a shell comment.
			env:  []string{fmt.Sprintf("UPCHECK_SERVER_CMD=%s -tcp %s -udp '' # {tcp}", upperdBin, busy.Addr())},
			line: fmt.Sprintf(`UPCHECK_SERVER_CMD: "%s -tcp %s -udp '' # {tcp}" exited (status 1) before answering`, upperdBin, busy.Addr()),
			says: "bind: address already in use"},
		{name: "server port in use, by flag", args: []string{"-server-cmd", fmt.Sprintf("%s -tcp %s -udp '' # {tcp}", upperdBin, busy.Addr())},
			line: fmt.Sprintf(`-server-cmd: "%s -tcp %s -udp '' # {tcp}" exited (status 1) before answering`, upperdBin, busy.Addr()),
			says: "bind: address already in use"},
		{name: "TCP target unreachable", env: []string{fmt.Sprintf("UPCHECK_TCP=127.0.0.1:%d", closed)},
			line: fmt.Sprintf(`UPCHECK_TCP: nothing answers at 127.0.0.1:%d (connection refused)`, closed)},
		{name: "UDP target unreachable", env: []string{fmt.Sprintf("UPCHECK_UDP=127.0.0.1:%d", closed)},
			line: fmt.Sprintf(`UPCHECK_UDP: nothing answers at 127.0.0.1:%d`, closed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := filepath.Join(t.TempDir(), "report.json")
			ctx, cancel := context.WithTimeout(context.Background(), 2*slow.Bound(badInputTimeout))
			defer cancel()
			args := append([]string{"-ginkgo.no-color"}, tc.args...)
			c := exec.CommandContext(ctx, suiteBin, args...)
			root, rerr := target.ModuleRoot()
			if rerr != nil {
				t.Fatal(rerr)
			}
			c.Dir = filepath.Join(root, "suites")
			c.Env = append(suiterun.CleanEnv(os.Environ()), append(tc.env, "UPCHECK_REPORT="+rep)...)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			start := time.Now()
			err := c.Run()
			elapsed := time.Since(start)
			text := out.String()
			t.Logf("exit %v after %v", err, elapsed.Round(time.Millisecond))

			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("exit: %v, want a non-zero status", err)
			}
			if elapsed > slow.Bound(badInputTimeout) {
				t.Errorf("took %v, more than %v", elapsed, slow.Bound(badInputTimeout))
			}
			want := report.HarnessPrefix + tc.line
			if !hasLine(text, want) {
				t.Errorf("no line starting %q in the output:\n%s", want, text)
			}
			if tc.says != "" && !strings.Contains(text, tc.says) {
				t.Errorf("the output does not say %q:\n%s", tc.says, text)
			}
			if !strings.Contains(text, "Ran 0 of ") {
				t.Errorf("specs ran:\n%s", text)
			}
			for _, bad := range []string{"panic", "goroutine ", "[PANICKED]", ".go:0x"} {
				if strings.Contains(text, bad) {
					t.Errorf("the output has %q:\n%s", bad, text)
				}
			}
			checkReport(t, rep, tc.line)
		})
	}
}

// checkReport checks that the report at path marks every requirement as
// not judged, with the harness error starting with line.
func checkReport(t *testing.T, path, line string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no conformance report: %v", err)
		return
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Errorf("conformance report: %v", err)
		return
	}
	if !strings.HasPrefix(r.HarnessError, line) {
		t.Errorf("report's harness error %q, want it to start %q", r.HarnessError, line)
	}
	for _, req := range r.Requirements {
		if req.Status != report.Error || req.Specs != 0 {
			t.Errorf("report: %s is %s after %d specs, want error after none", req.ID, req.Status, req.Specs)
		}
	}
}

// hasLine reports whether a line of text starts with prefix.
func hasLine(text, prefix string) bool {
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
