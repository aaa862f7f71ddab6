package fuzzspec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/target"
)

func TestShellQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/m/fuzz/testdata/failures/TCPScripts.json", "/m/fuzz/testdata/failures/TCPScripts.json"},
		{"127.0.0.1:9000", "127.0.0.1:9000"},
		{"server --tcp {tcp}", "'server --tcp {tcp}'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	} {
		if got := ShellQuote(c.in); got != c.want {
			t.Errorf("ShellQuote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestReplayCommand(t *testing.T) {
	for _, k := range target.TargetEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	if got, want := ReplayCommand("/m/P.json"), "go run ./cmd/replay -count 3 -script /m/P.json"; got != want {
		t.Errorf("no settings: %q, want %q", got, want)
	}
	t.Setenv(target.EnvServerCmd, "server --tcp {tcp} --udp {udp}")
	t.Setenv(target.EnvTimeScale, "2")
	want := "UPCHECK_SERVER_CMD='server --tcp {tcp} --udp {udp}' UPCHECK_TIME_SCALE=2 go run ./cmd/replay -count 3 -script '/m/a case.json'"
	if got := ReplayCommand("/m/a case.json"); got != want {
		t.Errorf("with settings:\n got %s\nwant %s", got, want)
	}
	// The report and the defaults are left out; numbers in short form.
	for k, v := range map[string]string{
		target.EnvServerCmd: " bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp} ",
		target.EnvUDPMax:    "8192",
		target.EnvTimeScale: "2.50",
		target.EnvReport:    "reports/x",
	} {
		t.Setenv(k, v)
	}
	want = "UPCHECK_SERVER_CMD='bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}' UPCHECK_TIME_SCALE=2.5 " +
		"go run ./cmd/replay -count 3 -script '/cases/it'\\''s.json'"
	if got := ReplayCommand("/cases/it's.json"); got != want {
		t.Errorf("defaults and report:\n got %s\nwant %s", got, want)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	got := ReplayCommand(filepath.Join("testdata", "failures", "P.json"))
	if !strings.HasSuffix(got, " -script "+ShellQuote(filepath.Join(wd, "testdata", "failures", "P.json"))) {
		t.Errorf("a relative path is not made absolute: %s", got)
	}
}

// TestLinksNoRapid keeps this package free of rapid, which is why it is a
// package: cmd/campaign imports it.
func TestLinksNoRapid(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if strings.Contains(string(out), "pgregory.net/rapid") {
		t.Errorf("package fuzzspec links pgregory.net/rapid:\n%s", out)
	}
}

func TestIsFixture(t *testing.T) {
	if !IsFixture(Module+"/suites/lifetime", "FuzzServerCommand") {
		t.Error("the lifetime tests' fuzz worker is not a fixture")
	}
	if IsFixture(Module+"/fuzz", "FuzzAnything") {
		t.Error("a target not listed is a fixture")
	}
}
