package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	replaycmd "github.com/upcheck/upcheck/cmd/internal/replay"
	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// replay is the binary, built once by TestMain, for the one test that needs
// a process.
var replay string

func TestMain(m *testing.M) { cmdtest.Main(m, "replay", &replay) }

// clearTarget unsets every setting that would point replay elsewhere than
// the reference in process.
func clearTarget(t *testing.T) {
	for _, k := range target.TargetEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func saveCase(t *testing.T, c *fuzz.Case) string {
	t.Helper()
	t.Setenv("UPCHECK_FUZZ_FAILURES", t.TempDir())
	path, err := c.Save("case")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrors(t *testing.T) {
	clearTarget(t)
	valid := saveCase(t, &fuzz.Case{Property: "TCPScripts", TCP: &check.TCPScript{Conns: []check.TCPConnScript{{Steps: []check.TCPStep{{Op: check.HalfClose}}}}}})
	notCase := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notCase, []byte(`{"property": "P"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "replay: usage: replay -script FILE"},
		{[]string{"-script", "a.json", "extra"}, "replay: usage:"},
		{[]string{"-script", "a.json", "-count", "0"}, "replay: -count 0: want 1 or more runs"},
		{[]string{"-script", filepath.Join(t.TempDir(), "missing.json")}, "no such file or directory"},
		{[]string{"-script", notCase}, "not a replay case: no tcp or udp script"},
		{[]string{"-script", valid, "-tcp", "localhost"}, `-tcp: "localhost" is not host:port`},
	} {
		var stdout, stderr bytes.Buffer
		code := replaycmd.Run(tc.args, &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || len(lines) != 1 {
			t.Errorf("replay %q: exit %d, stderr %q; want 2 and one line containing %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestPassesOnTheReference(t *testing.T) {
	clearTarget(t)
	path := saveCase(t, &fuzz.Case{Property: "TCPScripts", TCP: &check.TCPScript{Case: "two writes", Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: []byte("hello")},
		{Op: check.Write, Data: []byte{0xff, 0xfa, 'z'}},
		{Op: check.HalfClose},
	}}}}})
	var stdout, stderr bytes.Buffer
	if code := replaycmd.Run([]string{"-script", path, "-count", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"PASS (2 runs)", `  connection 0: write "hello"; write hex ff fa 7a; half-close; read to EOF` + "\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout %q lacks %q", stdout.String(), want)
		}
	}
}

// TestReadsOldCases replays the cases saved before ops had names and bytes
// were shown as text (numeric ops, base64 bytes), which stay in
// fuzz/testdata/cases.
func TestReadsOldCases(t *testing.T) {
	clearTarget(t)
	for _, f := range []string{"old-tcp.json", "old-udp.json"} {
		var stdout, stderr bytes.Buffer
		if code := replaycmd.Run([]string{"-script", filepath.Join("..", "..", "fuzz", "testdata", "cases", f)}, &stdout, &stderr); code != 0 {
			t.Errorf("replay %s: exit %d, want 0\nstdout: %s\nstderr: %s", f, code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String(), "write hex e0 7a") && !strings.Contains(stdout.String(), "send hex e0 7a (2 bytes)") {
			t.Errorf("replay %s does not show the script:\n%s", f, stdout.String())
		}
	}
}

// TestMalformedRapidSetting runs the built command: rapid reads its
// RAPID_* settings before main, so only a process shows the error line.
func TestMalformedRapidSetting(t *testing.T) {
	cmd := exec.Command(replay, "-script", "x.json")
	cmd.Env = append(os.Environ(), "RAPID_CHECKS=abc")
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	want := "replay: RAPID_CHECKS: \"abc\" is not a valid value (strconv.ParseInt: parsing \"abc\": invalid syntax)\n"
	if !ok || exit.ExitCode() != 2 || string(out) != want {
		t.Errorf("RAPID_CHECKS=abc replay: %v, output %q; want exit 2 and %q", err, out, want)
	}
}
