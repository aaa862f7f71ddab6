package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/ipv6test"
	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// ipv6Timeout bounds one run of the suite on ::1: the whole suite against
// upperd takes about 15 s on two idle cores.
const ipv6Timeout = 4 * time.Minute

// runOnIPv6 runs the suite binary as a user does, with the settings s (given
// as flags), and returns what it found. The run must end well within
// ipv6Timeout, with status 0.
func runOnIPv6(t *testing.T, s target.Settings, labels string) *suiterun.Result {
	t.Helper()
	root, err := target.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ipv6Timeout)
	defer cancel()
	res, err := suiterun.Run(ctx, suiterun.Options{
		Suites: suiteBin, Settings: s, LabelFilter: labels,
		Report: filepath.Join(t.TempDir(), "report.json"), Dir: root,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: exit %d after %v", res.Report.Target, res.ExitCode, res.Elapsed.Round(time.Millisecond))
	if res.ExitCode != 0 {
		t.Errorf("exit status %d, want 0; failed specs: %+v (output in %s)", res.ExitCode, res.FailedSpecs(""), res.Log)
	}
	return res
}

// wantPass requires each requirement of ids to pass in res.
func wantPass(t *testing.T, res *suiterun.Result, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if q, ok := res.Requirement(id); !ok || q.Status != report.Pass || q.Specs == 0 {
			t.Errorf("%s: %+v, want pass after at least one spec", id, q)
		}
	}
}

// TestWholeSuiteOnIPv6 runs every spec against upperd on ::1, started by a
// server command whose addresses are built from {host}: every requirement
// passes. The command refuses to start unless {host} is ::1, upperd binds
// only ::1 and the ports the harness picked there, so the pass shows that
// the harness picks, fills in and dials ::1.
func TestWholeSuiteOnIPv6(t *testing.T) {
	ipv6test.Need(t)
	cmd := `test '{host}' = ::1 && exec ` + upperdBin + ` -tcp '[{host}]:{tcp}' -udp '[{host}]:{udp}'`
	res := runOnIPv6(t, target.Settings{ServerCmd: cmd, Host: "::1"}, "")
	if want := "command: " + cmd + " on ::1"; res.Report.Target != want {
		t.Errorf("report's target %q, want %q", res.Report.Target, want)
	}
	var ids []string
	for _, r := range check.Requirements {
		ids = append(ids, r.ID)
	}
	wantPass(t, res, ids...)
}

// TestReferenceOnIPv6: with -host ::1 alone, the in-process reference
// listens on ::1 and passes (a few requirements of each protocol).
func TestReferenceOnIPv6(t *testing.T) {
	ipv6test.Need(t)
	res := runOnIPv6(t, target.Settings{Host: "::1"}, "TCP-ROUNDTRIP || TCP-EOF || UDP-ROUNDTRIP || UDP-SOURCE")
	if want := "reference servers (in process) on ::1"; res.Report.Target != want {
		t.Errorf("report's target %q, want %q", res.Report.Target, want)
	}
	wantPass(t, res, "TCP-ROUNDTRIP", "TCP-EOF", "UDP-ROUNDTRIP", "UDP-SOURCE")
}

// TestAlreadyRunningOnIPv6: -tcp [::1]:port and -udp [::1]:port of servers
// already running are dialed there, without -host.
func TestAlreadyRunningOnIPv6(t *testing.T) {
	ipv6test.Need(t)
	srv := serverstest.NewUnstartedServer()
	srv.Host = "::1"
	srv.Start()
	defer srv.Close()
	if !strings.HasPrefix(srv.TCPAddr, "[::1]:") {
		t.Fatalf("reference on %s, want [::1]:port", srv.TCPAddr)
	}
	res := runOnIPv6(t, target.Settings{TCP: srv.TCPAddr, UDP: srv.UDPAddr}, "TCP-ROUNDTRIP || UDP-ROUNDTRIP || UDP-SOURCE")
	if want := "tcp " + srv.TCPAddr + ", udp " + srv.UDPAddr; res.Report.Target != want {
		t.Errorf("report's target %q, want %q", res.Report.Target, want)
	}
	wantPass(t, res, "TCP-ROUNDTRIP", "UDP-ROUNDTRIP", "UDP-SOURCE")
}
