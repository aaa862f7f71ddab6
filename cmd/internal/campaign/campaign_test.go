package campaign

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCampaignFindsACrashOnTwoBytes runs a campaign of the TCP property
// against a server that crashes on 0xff 0xfa with no 0xff 0xf0 after it
// in the same read (CrashOnTelnetSB), and requires what make fuzz
// promises: it finds the crash, shrinks it to a few bytes, prints the seed
// and a replay command, and that command fails against the faulty server
// and passes against the reference. Nothing is written under the
// repository's testdata: rapid's fail files are off and the cases go to a
// temporary directory.
func TestCampaignFindsACrashOnTwoBytes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx, "go")
	if err != nil {
		t.Fatal(err)
	}
	mutantd := filepath.Join(t.TempDir(), "mutantd")
	build := exec.CommandContext(ctx, "go", "build", "-o", mutantd, "./lab/cmd/mutantd")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building mutantd: %v\n%s", err, out)
	}
	for _, k := range []string{"UPCHECK_TCP", "UPCHECK_UDP", "UPCHECK_UDP_MAX", "UPCHECK_TIME_SCALE", "RAPID_CHECKS", "RAPID_SEED", "RAPID_SHRINKTIME", "FUZZTIME"} {
		t.Setenv(k, "") // restored at the end
		os.Unsetenv(k)
	}
	cmd := mutantd + " -mutant CrashOnTelnetSB -tcp {tcp}"
	t.Setenv("UPCHECK_SERVER_CMD", cmd)
	failures := t.TempDir()

	// Seed 9 draws the crash after a dozen cases; a campaign of a few
	// minutes with any seed finds it within some hundreds.
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(ctx, []string{"-fuzztime=0", "-properties=^TCPScripts$", "-checks=300", "-seed=9",
		"-shrinktime=60s", "-nofailfile", "-failures=" + failures}, &stdout, &stderr)
	out := stdout.String()
	t.Logf("campaign took %v", time.Since(start).Round(time.Millisecond))
	if code != 1 {
		t.Fatalf("campaign exit status %d, want 1 (a failure found)\nstderr: %s\n%s", code, stderr.String(), summaryOf(out))
	}
	for _, want := range []string{
		"campaign: target command: " + cmd,
		"rapid seed 9 (repeat with RAPID_SEED=9)",
		"FAIL   fuzz.TestProperties",
		"property TCPScripts: failed after",
		"server exited (status 1) while checking TCP-STREAM", // the requirement a death is blamed on
	} {
		if !strings.Contains(out, want) {
			t.Errorf("campaign output lacks %q:\n%s", want, summaryOf(out))
		}
	}
	m := regexp.MustCompile(`(?m)^  replay:   (.+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay command in the summary:\n%s", summaryOf(out))
	}
	replay := m[1]

	// The case: a few bytes, 0xff 0xfa among one connection's. The
	// server dies on those bytes however reads split them, so every
	// shrink step's outcome is certain and shrinking reaches that
	// connection alone, or with one more it had no time to drop.
	path := filepath.Join(failures, "TCPScripts.json")
	if !strings.Contains(replay, path) {
		t.Errorf("replay command %q does not name the saved case %s", replay, path)
	}
	c, err := fuzz.LoadCase(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.TCP == nil || len(c.TCP.Conns) == 0 || len(c.TCP.Conns) > 2 {
		t.Fatalf("shrunk case is not one or two connections: %+v", c.TCP)
	}
	var total int
	crashing := -1
	var sent []byte
	oneWrite := false
	for i, conn := range c.TCP.Conns {
		var mine []byte
		one := false
		for _, st := range conn.Steps {
			if st.Op == check.Write {
				mine = append(mine, st.Data...)
				one = one || bytes.Contains(st.Data, []byte{0xff, 0xfa})
			}
		}
		total += len(mine)
		if crashing < 0 && bytes.Contains(mine, []byte{0xff, 0xfa}) {
			crashing, sent, oneWrite = i, mine, one
		}
	}
	if crashing < 0 {
		t.Fatalf("no connection of the shrunk case writes ff fa: %+v", c.TCP)
	}
	steps := len(c.TCP.Conns[crashing].Steps)
	t.Logf("shrunk case: %d connections, %d bytes; connection %d: %d steps, writes % x (0xff 0xfa in one write: %v)",
		len(c.TCP.Conns), total, crashing, steps, sent, oneWrite)
	if len(sent) > 8 || steps > 4 || total > 16 {
		t.Errorf("shrunk case writes %s in %d steps, %d bytes in all; want at most 8 bytes holding ff fa in at most 4 steps, 16 in all",
			hex.EncodeToString(sent), steps, total)
	}
	if c.Net != nil {
		// A network that cuts the stream can only hide the two bytes
		// from one read: shrinking leaves it out.
		t.Errorf("shrunk case still goes through a faulty network: %s", c.Net)
	}

	// The printed command reproduces the crash, the first time.
	if got, code := shell(ctx, t, root, replay); code != 1 || !strings.Contains(got, "server exited (status 1)") {
		t.Fatalf("replay command %q: exit %d, want 1 with the server exited:\n%s", replay, code, got)
	}

	// Against the reference, the same case passes.
	t.Setenv("UPCHECK_SERVER_CMD", "")
	if got, code := shell(ctx, t, root, "go run ./cmd/replay -script "+path); code != 0 || !strings.Contains(got, "PASS") {
		t.Errorf("against the reference: exit %d, want 0 with PASS:\n%s", code, got)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "fuzz", "testdata", "rapid")); len(ents) > 0 {
		t.Logf("note: fuzz/testdata/rapid holds %d entries (not from this test: -nofailfile)", len(ents))
	}
}

func TestUnconfirmedSince(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"TCPScripts.unconfirmed.json", "TCPScripts.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := unconfirmedSince(&config{failures: dir}, time.Now())
	if len(got) != 1 || filepath.Base(got[0]) != "TCPScripts.unconfirmed.json" {
		t.Errorf("unconfirmedSince = %v, want the unconfirmed case only", got)
	}
}

// TestLinksNoRapid keeps rapid out of the campaign: it panics at start-up
// on a malformed RAPID_ variable, which the campaign reports in one line.
func TestLinksNoRapid(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if strings.Contains(string(out), "pgregory.net/rapid") {
		t.Errorf("the campaign links pgregory.net/rapid:\n%s", out)
	}
}

// shell runs a printed command line in dir and returns its combined
// output and exit status.
func shell(ctx context.Context, t *testing.T, dir, line string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return string(out), 0
}

// summaryOf returns the campaign's summary, or the end of its output.
func summaryOf(out string) string {
	if i := strings.Index(out, "=== campaign summary"); i >= 0 {
		return out[i:]
	}
	return lastLines(out, 40)
}

// TestDefaultSplit: with no settings, the campaign keeps to 5 minutes;
// against an external target its native targets run their seeds only and
// the properties run by time, while in process each native target fuzzes
// for 20s. Settings given are used as given.
func TestDefaultSplit(t *testing.T) {
	for _, k := range []string{"UPCHECK_TCP", "UPCHECK_UDP", "UPCHECK_SERVER_CMD", "RAPID_CHECKS", "FUZZTIME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	header := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		// A budget too short for anything: only the header is of use.
		Run(context.Background(), append([]string{"-budget=1ms", "-seed=1"}, args...), &stdout, &stderr)
		return firstLine(strings.SplitN(stdout.String(), "\n", 2)[1])
	}
	for _, tc := range []struct {
		name, env string
		args      []string
		want      string
	}{
		{"in process", "", nil, "properties by time (each an equal part of what is left of -budget); FUZZTIME=20s per fuzz target"},
		{"external", "127.0.0.1:9", nil, "properties by time (each an equal part of what is left of -budget); native fuzz targets: their seed corpora only (external target)"},
		{"external, given", "127.0.0.1:9", []string{"-fuzztime=10s", "-checks=50"}, "50 checks per property; FUZZTIME=10s per fuzz target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("UPCHECK_TCP", tc.env)
			}
			if got := header(tc.args...); !strings.HasSuffix(got, tc.want) {
				t.Errorf("header %q, want it to end in %q", got, tc.want)
			}
		})
	}
	// Without a budget, and -checks not given, the properties run a count.
	if got := (&config{checks: defaultChecks}).checksText(); got != "1000 checks per property" {
		t.Errorf("without a budget: %q", got)
	}
}
