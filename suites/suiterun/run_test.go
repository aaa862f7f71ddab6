package suiterun

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/target"
)

// fakeSuites writes a shell script that stands in for the suites' test
// binary: it records its arguments, working directory and environment,
// writes the reports it is told to (the conformance report from report,
// ginkgo's from ginkgoReport) and exits with status exit.
func fakeSuites(t *testing.T, rep report.Report, ginkgoReport []types.Report, exit string) (bin, record string) {
	t.Helper()
	dir := t.TempDir()
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	gj, err := json.Marshal(ginkgoReport)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"report.json": js, "ginkgo.json": gj} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record = filepath.Join(dir, "record")
	script := `#!/bin/sh
{ for a in "$@"; do echo "arg $a"; done; echo "pwd $(pwd)"; env | grep '^UPCHECK_' | grep -v '^UPCHECK_HARNESS=' | sed 's/^/env /'; } > ` + record + `
while [ $# -gt 0 ]; do
	case "$1" in
	-report) cp ` + filepath.Join(dir, "report.json") + ` "$2"; shift ;;
	-ginkgo.json-report) cp ` + filepath.Join(dir, "ginkgo.json") + ` "$2"; shift ;;
	esac
	shift
done
echo "some output"
exit ` + exit + "\n"
	bin = filepath.Join(dir, "suites.test")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, record
}

func sampleReports() (report.Report, []types.Report) {
	rep := report.Report{Target: "command: x", Requirements: []report.Requirement{
		{ID: "TCP-EOF", Level: check.Must, Status: report.Fail, Specs: 1, Observed: "a reset"},
		{ID: "UDP-ONCE", Level: check.Must, Status: report.Skip, Observed: "not selected"},
	}}
	gr := []types.Report{{
		SuiteConfig: types.SuiteConfig{LabelFilter: "tcp"},
		SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed},
			{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"TCP-EOF"}, LeafNodeText: "half-close",
				ContainerHierarchyLabels: [][]string{{"TCP-EOF", "tcp"}}, State: types.SpecStateFailed,
				Failure: types.Failure{Message: "TCP-EOF: expected EOF\nobserved a reset"},
				ReportEntries: types.ReportEntries{{Name: report.EntryName, Value: types.WrapEntryValue(report.Outcome{ID: "TCP-EOF",
					Violations: check.Violations{{ID: "TCP-EOF", Expected: "EOF", Observed: "a reset"}}})}}},
			// Ended by its timeout: no verdict, so not failed.
			{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"TCP-EOF"}, LeafNodeText: "slow",
				ContainerHierarchyLabels: [][]string{{"TCP-EOF", "tcp"}}, State: types.SpecStateTimedout,
				Failure: types.Failure{Message: "A spec timeout occurred"}},
			{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"TCP-BYTES"}, LeafNodeText: "all bytes",
				ContainerHierarchyLabels: [][]string{{"TCP-BYTES", "tcp"}}, State: types.SpecStatePassed},
			{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: []string{"UDP-ONCE"}, LeafNodeText: "once",
				ContainerHierarchyLabels: [][]string{{"UDP-ONCE", "udp"}}, State: types.SpecStateSkipped},
		},
	}}
	return rep, gr
}

func TestRunPassesTheOptionsAndReadsTheReports(t *testing.T) {
	rep, gr := sampleReports()
	bin, record := fakeSuites(t, rep, gr, "1")
	t.Setenv("UPCHECK_TCP", "127.0.0.1:1") // must not reach the suites
	wd := t.TempDir()
	out := filepath.Join(t.TempDir(), "runs", "x.json")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{
		Suites: bin, Settings: target.Settings{ServerCmd: "srv --tcp {tcp}", TimeScale: 0.25, UDPMax: 1024, Report: "ignored"},
		Report: out, Dir: wd, LabelFilter: "tcp", Seed: 42,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 1 {
		t.Errorf("ExitCode = %d, want 1", res.ExitCode)
	}
	if got := res.Status("TCP-EOF"); got != report.Fail {
		t.Errorf("Status(TCP-EOF) = %q, want fail", got)
	}
	if got := res.Status("NOPE"); got != "" {
		t.Errorf("Status(NOPE) = %q, want empty", got)
	}
	// The spec the label filter left out is not listed; the others are,
	// with their labels and the first line of their failure.
	if len(res.Specs) != 3 {
		t.Fatalf("Specs = %+v, want the 3 selected specs", res.Specs)
	}
	failed := res.FailedSpecs("TCP-EOF")
	if len(failed) != 1 || failed[0].Text != "TCP-EOF half-close" || failed[0].Leaf != "half-close" || failed[0].Containers[0] != "TCP-EOF" || failed[0].Failure != "TCP-EOF: expected EOF" || !failed[0].Has("tcp") {
		t.Errorf("FailedSpecs(TCP-EOF) = %+v", failed)
	}
	// The spec's outcome is read back from ginkgo's report.
	if f := failed[0]; !f.HasOutcome || len(f.Outcome.Violations) != 1 || f.Outcome.Violations[0].Error() != "TCP-EOF: expected EOF; observed a reset" {
		t.Errorf("outcome of the failed spec = %+v (has %v)", f.Outcome, f.HasOutcome)
	}
	for _, s := range res.Specs {
		if s.Leaf == "slow" && (s.Failed() || !s.Ended() || s.HasOutcome) {
			t.Errorf("the timed-out spec: Failed %v, Ended %v, HasOutcome %v; want ended without a verdict", s.Failed(), s.Ended(), s.HasOutcome)
		}
	}
	if n := len(res.FailedSpecs("")); n != 1 {
		t.Errorf("%d failed specs, want 1", n)
	}
	if res.JSON != out || res.Markdown != strings.TrimSuffix(out, ".json")+".md" {
		t.Errorf("paths %q, %q", res.JSON, res.Markdown)
	}
	if b, err := os.ReadFile(res.Log); err != nil || !strings.Contains(string(b), "some output") {
		t.Errorf("log %s: %q, %v", res.Log, b, err)
	}

	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, want := range [][]string{
		{"arg -server-cmd", "arg srv --tcp {tcp}"},
		{"arg -report", "arg " + out},
		{"arg -ginkgo.label-filter", "arg tcp"},
		{"arg -time-scale", "arg 0.25"},
		{"arg -udp-max", "arg 1024"},
		{"arg -ginkgo.seed", "arg 42"},
	} {
		i := slices.Index(lines, want[0])
		if i < 0 || i+1 >= len(lines) || lines[i+1] != want[1] {
			t.Errorf("arguments %q do not hold %q", lines, want)
		}
	}
	if !slices.Contains(lines, "pwd "+wd) {
		t.Errorf("the suites did not run in %s: %q", wd, lines)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "env ") {
			t.Errorf("the suites saw the caller's setting %s", l)
		}
	}
	// The suites read back the settings they were given (ginkgo's flags
	// left out: each but -ginkgo.no-color takes a value).
	var args []string
	for i := 0; i < len(lines); i++ {
		a, ok := strings.CutPrefix(lines[i], "arg ")
		switch {
		case !ok:
		case a == "-ginkgo.no-color":
		case strings.HasPrefix(a, "-ginkgo."):
			i++
		default:
			args = append(args, a)
		}
	}
	var got target.Settings
	fs := flag.NewFlagSet("suites", flag.ContinueOnError)
	got.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		t.Fatalf("the suites cannot parse %q: %v", args, err)
	}
	want := target.Settings{ServerCmd: "srv --tcp {tcp}", TimeScale: 0.25, UDPMax: 1024, Report: out}
	if got.ServerCmd != want.ServerCmd || got.TimeScale != want.TimeScale || got.UDPMax != want.UDPMax || got.Report != want.Report {
		t.Errorf("the suites read %+v, want %+v", got, want)
	}
}

func TestRunWithoutReportIsAnError(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "suites.test")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho crashed\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Suites: bin, Settings: target.Settings{ServerCmd: "x"}, Report: filepath.Join(t.TempDir(), "r.json")})
	if err == nil || !strings.Contains(err.Error(), "no conformance report") {
		t.Errorf("err = %v, want no conformance report", err)
	}
}

func TestRunNeedsItsOptions(t *testing.T) {
	for _, o := range []Options{{}, {Suites: "x", Settings: target.Settings{ServerCmd: "y"}}, {Report: "r.json"}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) = nil error", o)
		}
	}
}

func TestRunMissingBinary(t *testing.T) {
	_, err := Run(context.Background(), Options{Suites: filepath.Join(t.TempDir(), "none"), Settings: target.Settings{ServerCmd: "x"}, Report: filepath.Join(t.TempDir(), "r.json")})
	if err == nil {
		t.Error("no error for a missing binary")
	}
}

// TestCleanEnvKeepsTheHarness: the settings go, the tie to the harness
// processes above stays, and nothing else is touched.
func TestCleanEnvKeepsTheHarness(t *testing.T) {
	in := []string{"PATH=/bin", "UPCHECK_TCP=127.0.0.1:1", "UPCHECK_SERVER_CMD=x {tcp}", target.EnvHarness + "=12:34", "HOME=/h", "UPCHECK_TIME_SCALE=2"}
	got := CleanEnv(in)
	want := []string{"PATH=/bin", target.EnvHarness + "=12:34", "HOME=/h"}
	if !slices.Equal(got, want) {
		t.Errorf("CleanEnv(%q) = %q, want %q", in, got, want)
	}
	if in[1] != "UPCHECK_TCP=127.0.0.1:1" {
		t.Errorf("CleanEnv changed its input: %q", in)
	}
}
