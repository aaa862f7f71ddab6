package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/target"
)

// upcheck is the binary under test, built once by TestMain.
var upcheck string

func TestMain(m *testing.M) { cmdtest.Main(m, "upcheck", &upcheck) }

type result struct {
	code           int
	stdout, stderr string
}

// runUpcheck runs the binary in dir with args, with no UPCHECK_* setting
// from the environment, and returns how it ended.
func runUpcheck(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, upcheck, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPCHECK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("upcheck %s: %v", strings.Join(args, " "), err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout or stderr
	}{
		{nil, exitUsage, "upcheck check --server-cmd"},
		{[]string{"-h"}, exitPass, "Exit status of check"},
		{[]string{"help", "check"}, exitPass, "--server-cmd"},
		{[]string{"check", "-h"}, exitPass, "1 a MUST requirement failed"},
		{[]string{"check", "--help"}, exitPass, "-only IDs"},
		{[]string{"version"}, exitPass, "upcheck "},
		{[]string{"--version"}, exitPass, "upcheck "},
		{[]string{"frobnicate"}, exitUsage, `no command "frobnicate"`},
		{[]string{"serve", "-h"}, exitPass, "-tcp"},
		{[]string{"load", "-h"}, exitPass, "-mode"},
		{[]string{"replay", "-h"}, exitPass, "-script"},
		{[]string{"matrix", "-h"}, exitPass, "With --from DIR, it runs nothing"},
		{[]string{"help", "matrix"}, exitPass, "-from DIR"},
	} {
		r := runUpcheck(t, t.TempDir(), tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("upcheck %s: exit %d, want %d with %q in\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}

// TestCheckUsageErrors: a bad setting or flag is one line on stderr and
// exit status 2, with no verdict on any server.
func TestCheckUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tcp", "localhost"}, "-tcp"},
		{[]string{"-udp-max", "0"}, "-udp-max"},
		{[]string{"--only", "TCP-NOPE"}, `-only: "TCP-NOPE" is neither a requirement ID`},
		{[]string{"--skip", "sctp"}, `-skip: "sctp"`},
		{[]string{"--seed", "x"}, `-seed: "x" is not a number`},
		{[]string{"--server-cmd", "python3 server.py"}, "neither {tcp} nor {udp}"},
		{[]string{"--server-cmd", "x {tcp}", "--tcp", "127.0.0.1:1"}, "cannot be combined"},
		{[]string{"node", "server.js"}, `unexpected argument "node"`},
		{[]string{"--frobnicate"}, "-frobnicate"},
	} {
		r := runUpcheck(t, t.TempDir(), append([]string{"check"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("upcheck check %s: exit %d, want %d and %q on stderr\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), r.code, exitUsage, tc.want, r.stdout, r.stderr)
		}
	}
}

// TestSubcommandErrorsNameUpcheck: the subcommands built on another
// binary's code speak as upcheck, so a user sees the command they typed.
func TestSubcommandErrorsNameUpcheck(t *testing.T) {
	for _, args := range [][]string{{"serve", "-frobnicate"}, {"load", "-frobnicate"}} {
		r := runUpcheck(t, t.TempDir(), args...)
		want := "upcheck " + args[0] + ": "
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("upcheck %s: exit %d, want %d and one line starting %q\nstderr: %s", strings.Join(args, " "), r.code, exitUsage, want, r.stderr)
		}
	}
}

// TestCheckTargetNotThere: a server command that never serves is a harness
// error, exit status 2, its report saying so.
func TestCheckTargetNotThere(t *testing.T) {
	dir := t.TempDir()
	r := runUpcheck(t, dir, "check", "--server-cmd", "echo no server here {tcp}; exit 3", "--report", "r.json")
	if r.code != exitUsage || !strings.Contains(r.stderr, "harness error") {
		t.Fatalf("exit %d, want %d and a harness error\nstdout: %s\nstderr: %s", r.code, exitUsage, r.stdout, r.stderr)
	}
	rep := readReport(t, filepath.Join(dir, "r.json"))
	if rep.HarnessError == "" {
		t.Errorf("report without a harness error: %+v", rep)
	}
}

// TestCheckPassesAndWritesReports runs a part of the suite against the
// reference servers in process, from a directory outside the module: exit 0,
// and the reports written where a relative --report says, in that directory.
func TestCheckPassesAndWritesReports(t *testing.T) {
	dir := t.TempDir()
	r := runUpcheck(t, dir, "check", "-only", "TCP-ROUNDTRIP,udp-empty", "-report", "out/conformance.json", "-seed", "7")
	if r.code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitPass, r.stdout, r.stderr)
	}
	rep := readReport(t, filepath.Join(dir, "out", "conformance.json"))
	if rep.Seed != 7 {
		t.Errorf("seed %d, want 7", rep.Seed)
	}
	for _, q := range rep.Requirements {
		want := report.Skip
		if q.ID == "TCP-ROUNDTRIP" || q.ID == "UDP-EMPTY" {
			want = report.Pass
		}
		if q.Status != want {
			t.Errorf("%s: %s, want %s", q.ID, q.Status, want)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "out", "conformance.md"))
	if err != nil || !strings.Contains(string(md), "2 passed, 0 failed") {
		t.Errorf("Markdown report: %v\n%s", err, md)
	}
	if !strings.Contains(r.stderr, "upcheck: 2 passed, 0 failed, 16 skipped") {
		t.Errorf("no summary line on stderr: %s", r.stderr)
	}
}

// TestCheckFailsAWrongServer: a server that echoes without uppercasing
// fails TCP-BYTES: exit 1, the report naming it.
func TestCheckFailsAWrongServer(t *testing.T) {
	addr := echoServer(t)
	dir := t.TempDir()
	r := runUpcheck(t, dir, "check", "--tcp", addr, "--only", "TCP-BYTES", "--report", "r.json")
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitFail, r.stdout, r.stderr)
	}
	rep := readReport(t, filepath.Join(dir, "r.json"))
	for _, q := range rep.Requirements {
		if q.ID == "TCP-BYTES" && q.Status != report.Fail {
			t.Errorf("TCP-BYTES: %s, want fail", q.Status)
		}
	}
}

// TestCheckExpectedFailures: a failure declared expected (from a file
// relative to where upcheck runs) exits 0 and reads xfail, in the JSON and
// in the JUnit file; declared against a server where it passes, it exits
// 1 and says to remove it.
func TestCheckExpectedFailures(t *testing.T) {
	addr := echoServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xfail.txt"), []byte("# known\nTCP-BYTES echoes unchanged\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runUpcheck(t, dir, "check", "--tcp", addr, "--only", "TCP-BYTES", "--expect-fail", "@xfail.txt", "--report", "r.json", "--junit", "j.xml")
	if r.code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitPass, r.stdout, r.stderr)
	}
	for _, q := range readReport(t, filepath.Join(dir, "r.json")).Requirements {
		if q.ID == "TCP-BYTES" && (q.Status != report.XFail || q.Reason != "echoes unchanged") {
			t.Errorf("TCP-BYTES: %s (%q), want xfail with its reason", q.Status, q.Reason)
		}
	}
	j, err := os.ReadFile(filepath.Join(dir, "j.xml"))
	if err != nil || !strings.Contains(string(j), `name="TCP-BYTES"`) || !strings.Contains(string(j), "expected failure: echoes unchanged") {
		t.Errorf("JUnit report: %v\n%s", err, j)
	}

	r = runUpcheck(t, dir, "check", "--only", "TCP-BYTES", "--expect-fail", "TCP-BYTES")
	if r.code != exitFail || !strings.Contains(r.stdout+r.stderr, "TCP-BYTES passes now: remove it from the expected failures") {
		t.Fatalf("against the reference: exit %d, want %d with the xpass line\nstdout: %s\nstderr: %s", r.code, exitFail, r.stdout, r.stderr)
	}
}

// TestServerCommandRunsInWorkingDirectory: a relative path in the server
// command is relative to where upcheck runs.
func TestServerCommandRunsInWorkingDirectory(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "python", "server.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runUpcheck(t, dir, "check", "--server-cmd", "python3 server.py --tcp {tcp} --udp {udp}", "--only", "TCP-ROUNDTRIP,UDP-ROUNDTRIP")
	if r.code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitPass, r.stdout, r.stderr)
	}
}

func readReport(t *testing.T, path string) report.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep
}

// echoServer serves TCP on loopback, echoing bytes unchanged: a server
// that breaks TCP-BYTES. It stops at the end of the test.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					c.SetDeadline(time.Now().Add(30 * time.Second))
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						if tc, ok := c.(*net.TCPConn); ok {
							tc.CloseWrite()
						}
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

var _ = target.TargetEnv // the settings a run leaves out of the environment

// TestFuzzWithoutGo: with no go on PATH, upcheck fuzz says so in one line
// and runs the rapid properties compiled in, here against the reference.
func TestFuzzWithoutGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("RAPID_CHECKS", "5")
	t.Setenv("RAPID_SEED", "1")
	dir := t.TempDir()
	r := runUpcheck(t, dir, "fuzz")
	// Beside that line, a slow run prints its progress.
	others := 0
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(l, "campaign: UDPScripts: ") && !strings.HasPrefix(l, "campaign: TCPScripts: ") {
			others++
		}
	}
	if r.code != exitPass || !strings.HasPrefix(r.stderr, "upcheck fuzz: go is not on PATH") || others != 1 {
		t.Errorf("exit %d, want %d and one line\nstdout: %s\nstderr: %s", r.code, exitPass, r.stdout, r.stderr)
	}
	for _, p := range []string{"PASS TCPScripts", "PASS UDPScripts", "=== explored", "TCPScripts: 5 cases in ", "UDPScripts: 5 cases in ", "  empty datagram"} {
		if !strings.Contains(r.stdout, p) {
			t.Errorf("no %q in\n%s", p, r.stdout)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("fuzz wrote into its working directory: %v", entries)
	}
	r = runUpcheck(t, dir, "fuzz", "-fuzztime", "1s")
	if r.code != exitUsage {
		t.Errorf("fuzz -fuzztime without go: exit %d, want %d", r.code, exitUsage)
	}
}
