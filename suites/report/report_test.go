package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

const seed = 4242

// spec returns a synthetic It report labelled with id and proto, declared
// at line of file, in state, with outcome attached when it is not nil.
func spec(text, id string, line int, state types.SpecState, outcome *Outcome) types.SpecReport {
	proto := strings.ToLower(strings.SplitN(id, "-", 2)[0])
	sr := types.SpecReport{
		ContainerHierarchyTexts: []string{id},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            text,
		LeafNodeLabels:          []string{id, proto},
		LeafNodeLocation:        types.CodeLocation{FileName: "/src/suites/" + strings.ToLower(id) + "_test.go", LineNumber: line},
		State:                   state,
	}
	if outcome != nil {
		sr.ReportEntries = types.ReportEntries{{Name: EntryName, Value: types.WrapEntryValue(*outcome), Visibility: types.ReportEntryVisibilityNever}}
	}
	if state.Is(types.SpecStateFailureStates) {
		sr.Failure = types.Failure{Message: "failed: " + text, Location: types.CodeLocation{FileName: "/src/suites/helpers_test.go", LineNumber: 7}}
	}
	return sr
}

// suite returns a synthetic suite report holding specs.
func suite(specs ...types.SpecReport) types.Report {
	r := types.Report{SuiteDescription: "upcheck conformance", SuiteConfig: types.SuiteConfig{RandomSeed: seed}}
	r.SpecReports = specs
	return r
}

// passingSuite has one passing spec per requirement; the INFO one records
// an observation.
func passingSuite() []types.SpecReport {
	var specs []types.SpecReport
	for i, q := range check.Requirements {
		o := &Outcome{ID: q.ID}
		if q.Level == check.Info {
			o.Observed = "no reply to the zero-length write"
		}
		specs = append(specs, spec(q.ID+" works", q.ID, 10+i, types.SpecStatePassed, o))
	}
	return specs
}

func byID(t *testing.T, r Report, id string) Requirement {
	t.Helper()
	for _, q := range r.Requirements {
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("no requirement %s in the report", id)
	return Requirement{}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestBuildAllPass(t *testing.T) {
	r := Build(suite(passingSuite()...), "reference servers")
	if len(r.Requirements) != len(check.Requirements) {
		t.Fatalf("got %d requirements, want %d", len(r.Requirements), len(check.Requirements))
	}
	for i, q := range r.Requirements {
		if q.ID != check.Requirements[i].ID {
			t.Errorf("requirement %d is %s, want %s (report order)", i, q.ID, check.Requirements[i].ID)
		}
		if q.Status != Pass || q.Specs != 1 {
			t.Errorf("%s: status %s with %d specs, want pass with 1", q.ID, q.Status, q.Specs)
		}
	}
	if r.Target != "reference servers" || r.Seed != seed || r.Version == "" {
		t.Errorf("header = %q, %d, %q", r.Target, r.Seed, r.Version)
	}
	if q := byID(t, r, "TCP-EMPTYWRITE"); q.Observed != "no reply to the zero-length write" || q.Level != check.Info {
		t.Errorf("INFO line = %+v, want its observation", q)
	}
	md := r.Markdown()
	if got, want := lastLine(md), "18 passed, 0 failed"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if n := strings.Count(md, "\n| "); n != len(check.Requirements)+2 {
		t.Errorf("table has %d lines, want header, rule and %d rows:\n%s", n, len(check.Requirements), md)
	}
}

func TestBuildFailureWithViolations(t *testing.T) {
	specs := passingSuite()
	v := &check.Violation{ID: "TCP-BYTES", Case: "all 256 byte values", Expected: "upper(request), 256 bytes", Observed: "byte 0xe9 changed to 0xc9", Where: "connection 0, first difference at offset 233"}
	// Declared later but run first: the report must still pick the failure
	// declared first.
	later := spec("TCP-BYTES later", "TCP-BYTES", 90, types.SpecStateFailed, &Outcome{ID: "TCP-BYTES", Violations: []*check.Violation{{ID: "TCP-BYTES", Expected: "x", Observed: "y"}}})
	first := spec("TCP-BYTES all 256", "TCP-BYTES", 20, types.SpecStateFailed, &Outcome{ID: "TCP-BYTES", Violations: []*check.Violation{v}})
	specs = append([]types.SpecReport{later}, append(specs, first)...)
	r := Build(suite(specs...), "t")
	q := byID(t, r, "TCP-BYTES")
	if q.Status != Fail || q.Specs != 3 {
		t.Fatalf("TCP-BYTES = %s with %d specs, want fail with 3", q.Status, q.Specs)
	}
	if q.Observed != v.Observed || q.Expected != v.Expected {
		t.Errorf("observed/expected = %q / %q, want the first failure's", q.Observed, q.Expected)
	}
	for _, want := range []string{v.Where, v.Case, `spec "TCP-BYTES TCP-BYTES all 256"`, "seed 4242"} {
		if !strings.Contains(q.Evidence, want) {
			t.Errorf("evidence %q lacks %q", q.Evidence, want)
		}
	}
	md := r.Markdown()
	if got, want := lastLine(md), "17 passed, 1 failed"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if !strings.Contains(md, "| TCP-BYTES | MUST | **fail** | 3 | byte 0xe9 changed to 0xc9 | upper(request), 256 bytes |") {
		t.Errorf("Markdown lacks the failure row:\n%s", md)
	}
	if !strings.Contains(md, "- TCP-BYTES: "+strings.ReplaceAll(q.Evidence, "\n", "\n  ")) {
		t.Errorf("Markdown lacks the evidence:\n%s", md)
	}
}

func TestBuildFailureWithoutViolations(t *testing.T) {
	// The server died: the spec's own check passed, its health check failed.
	specs := append(passingSuite(), spec("TCP-EOF after 64 KiB", "TCP-EOF", 99, types.SpecStateFailed, &Outcome{ID: "TCP-EOF"}))
	specs[len(specs)-1].Failure.Message = "server exited (status 2) while checking TCP-EOF\nlast output:\npanic: boom"
	r := Build(suite(specs...), "t")
	q := byID(t, r, "TCP-EOF")
	if q.Status != Fail {
		t.Fatalf("TCP-EOF = %s, want fail", q.Status)
	}
	if want := "server exited (status 2) while checking TCP-EOF; last output:; panic: boom"; q.Observed != want {
		t.Errorf("observed %q, want %q", q.Observed, want)
	}
	if q.Expected != byRule("TCP-EOF") || !strings.Contains(q.Evidence, "helpers_test.go:7") {
		t.Errorf("expected %q evidence %q", q.Expected, q.Evidence)
	}
	if md := r.Markdown(); strings.Contains(strings.SplitN(md, "Evidence:", 2)[0], "last output:\n") {
		t.Errorf("a table cell spans lines:\n%s", md)
	}
}

func byRule(id string) string {
	q, _ := check.Lookup(id)
	return q.Rule
}

func TestBuildSkipped(t *testing.T) {
	var specs []types.SpecReport
	for i, q := range check.Requirements {
		sr := spec(q.ID, q.ID, i, types.SpecStatePassed, &Outcome{ID: q.ID})
		if q.Proto == "udp" {
			sr = spec(q.ID, q.ID, i, types.SpecStateSkipped, nil)
			sr.Failure.Message = "UDP not configured: TCP-only target"
		}
		specs = append(specs, sr)
	}
	// A spec filtered out by --label-filter: skipped without a message.
	specs = append(specs, spec("filtered", "UDP-ONCE", 99, types.SpecStateSkipped, nil))
	r := Build(suite(specs...), "t")
	if q := byID(t, r, "UDP-ONCE"); q.Status != Skip || q.Specs != 0 || q.Observed != "UDP not configured: TCP-only target" {
		t.Errorf("UDP-ONCE = %s with %d specs (%q), want skip with 0 and the reason", q.Status, q.Specs, q.Observed)
	}
	if got, want := lastLine(r.Markdown()), "10 passed, 0 failed, 8 skipped"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
}

func TestBuildNoSpecs(t *testing.T) {
	r := Build(suite(spec("filtered", "TCP-EOF", 1, types.SpecStateSkipped, nil)), "t")
	if q := byID(t, r, "TCP-EOF"); q.Observed != "not selected" {
		t.Errorf("TCP-EOF observed %q, want \"not selected\"", q.Observed)
	}
	for _, q := range r.Requirements {
		if q.Status != Skip {
			t.Errorf("%s = %s without specs, want skip", q.ID, q.Status)
		}
	}
}

func TestBuildHarnessError(t *testing.T) {
	msg := "UPCHECK_TCP: nothing answers at 127.0.0.1:9 (connection refused)"
	setup := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: HarnessPrefix + msg + "\nmore detail"}}
	// A parallel run: the other process's failure comes first.
	other := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, ParallelProcess: 2,
		Failure: types.Failure{Message: "SynchronizedBeforeSuite failed on Ginkgo parallel process #1"}}
	specs := []types.SpecReport{other, setup}
	for i, q := range check.Requirements {
		specs = append(specs, spec(q.ID, q.ID, i, types.SpecStateSkipped, nil))
	}
	r := Build(suite(specs...), "t")
	if r.HarnessError != msg {
		t.Errorf("harness error %q, want %q", r.HarnessError, msg)
	}
	for _, q := range r.Requirements {
		if q.Status != Error || !strings.Contains(q.Observed, msg) {
			t.Errorf("%s = %s (%q), want error with the message", q.ID, q.Status, q.Observed)
		}
	}
	md := r.Markdown()
	for _, want := range []string{"Harness error: " + msg, "18 not judged (harness error)\n0 passed, 0 failed\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"status": "error"`) {
		t.Errorf("JSON lacks the error status:\n%s", js)
	}
}

func TestBuildAfterSuiteFailureIsANote(t *testing.T) {
	teardown := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedAfterSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "server did not stop"}}
	r := Build(suite(append(passingSuite(), teardown)...), "t")
	if r.HarnessError != "" || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "server did not stop") {
		t.Errorf("harness error %q, notes %q", r.HarnessError, r.Notes)
	}
	if c := r.Counts(); c[Pass] != len(check.Requirements) {
		t.Errorf("counts %v: a teardown problem must not change verdicts", c)
	}
}

func TestBuildSpecHarnessError(t *testing.T) {
	specs := append(passingSuite(), spec("UDP-SIZE 65507", "UDP-SIZE", 99, types.SpecStateFailed, &Outcome{ID: "UDP-SIZE", Harness: "check: no UDP address to check"}))
	// A spec that found the server gone and not restarted: no outcome of
	// its own, a harness error as its failure.
	lost := spec("UDP-ONCE", "UDP-ONCE", 99, types.SpecStateFailed, &Outcome{ID: "UDP-ONCE", Harness: "-server-cmd: exited (status 1)"})
	specs = append(specs, lost)
	r := Build(suite(specs...), "t")
	q := byID(t, r, "UDP-SIZE")
	if q.Status != Error || q.Observed != "not judged: check: no UDP address to check" {
		t.Errorf("UDP-SIZE = %s (%q), want error", q.Status, q.Observed)
	}
	if q.Specs != 1 {
		t.Errorf("UDP-SIZE counts %d specs, want 1: an unjudged spec does not count", q.Specs)
	}
	if q := byID(t, r, "UDP-ONCE"); q.Status != Error || !strings.Contains(q.Observed, "exited (status 1)") {
		t.Errorf("UDP-ONCE = %s (%q), want error", q.Status, q.Observed)
	}
	md := r.Markdown()
	if got, want := lastLine(md), "16 passed, 0 failed"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
	if !strings.Contains(md, "2 not judged (harness error)\n") {
		t.Errorf("Markdown does not count the unjudged requirements:\n%s", md)
	}
}

func TestBuildInfoNeverFails(t *testing.T) {
	specs := passingSuite()
	for i := range specs {
		if specs[i].LeafNodeLabels[0] == "TCP-EMPTYWRITE" {
			specs[i].ReportEntries = types.ReportEntries{{Name: EntryName, Value: types.WrapEntryValue(Outcome{ID: "TCP-EMPTYWRITE",
				Violations: []*check.Violation{{ID: "TCP-EMPTYWRITE", Expected: "no reply", Observed: "an empty write was answered"}}})}}
		}
	}
	r := Build(suite(specs...), "t")
	if q := byID(t, r, "TCP-EMPTYWRITE"); q.Status != Pass || q.Observed != "an empty write was answered" {
		t.Errorf("TCP-EMPTYWRITE = %s (%q), want pass with the observation", q.Status, q.Observed)
	}
}

// TestBuildFromJSON checks the parallel path: ReportAfterSuite then sees
// entry values decoded from JSON, not the Outcome structs.
func TestBuildFromJSON(t *testing.T) {
	specs := append(passingSuite(), spec("TCP-STREAM random", "TCP-STREAM", 99, types.SpecStateFailed,
		&Outcome{ID: "TCP-STREAM", Violations: []*check.Violation{{ID: "TCP-STREAM", Case: "seed 7", Expected: "EOF", Observed: "reset"}}}))
	in := suite(specs...)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out types.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	want, got := Build(in, "t"), Build(out, "t")
	wj, _ := want.JSON()
	gj, _ := got.JSON()
	if string(wj) != string(gj) {
		t.Errorf("report from JSON differs:\n%s\nwant:\n%s", gj, wj)
	}
	if q := byID(t, got, "TCP-STREAM"); q.Observed != "reset" {
		t.Errorf("TCP-STREAM observed %q, want the decoded violation's", q.Observed)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	v := &check.Violation{ID: "TCP-BYTES", Expected: "a|b", Observed: "x\ny"}
	specs := append(passingSuite(), spec("pipes", "TCP-BYTES", 99, types.SpecStateFailed, &Outcome{ID: "TCP-BYTES", Violations: []*check.Violation{v}}))
	md := Build(suite(specs...), "t").Markdown()
	if !strings.Contains(md, `| x<br>y | a\|b |`) {
		t.Errorf("cells not escaped:\n%s", md)
	}
}

func TestJSONFields(t *testing.T) {
	js, err := Build(suite(passingSuite()...), "ref").JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Target       string           `json:"target"`
		Seed         *int64           `json:"seed"`
		Version      string           `json:"version"`
		Requirements []map[string]any `json:"requirements"`
	}
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if m.Target != "ref" || m.Seed == nil || *m.Seed != seed || m.Version == "" || len(m.Requirements) != len(check.Requirements) {
		t.Fatalf("JSON header wrong:\n%s", js)
	}
	for _, k := range []string{"id", "level", "status", "specs", "observed", "expected", "evidence"} {
		if _, ok := m.Requirements[0][k]; !ok {
			t.Errorf("requirement lacks %q:\n%s", k, js)
		}
	}
}

func TestPaths(t *testing.T) {
	for _, c := range []struct{ in, js, md string }{
		{"reports/conformance", "reports/conformance.json", "reports/conformance.md"},
		{"out.json", "out.json", "out.md"},
		{"out.txt", "out.txt", "out.md"},
		{"out.md", "out.json", "out.md"},
	} {
		if js, md := Paths(c.in); js != c.js || md != c.md {
			t.Errorf("Paths(%q) = %q, %q, want %q, %q", c.in, js, md, c.js, c.md)
		}
	}
}

func TestWrite(t *testing.T) {
	r := Build(suite(passingSuite()...), "t")
	js, md, err := Write(filepath.Join(t.TempDir(), "reports", "conformance"), r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Requirements) != len(check.Requirements) {
		t.Errorf("JSON file does not read back (%v):\n%s", err, b)
	}
	m, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\n\d+ passed, \d+ failed(, \d+ skipped)?\n$`).Match(m) {
		t.Errorf("Markdown file does not end with the summary:\n%s", m)
	}
	page, err := os.ReadFile(filepath.Join(filepath.Dir(js), "conformance.html"))
	if err != nil {
		t.Fatalf("no HTML page beside the JSON: %v", err)
	}
	if !strings.HasPrefix(string(page), "<!DOCTYPE html>") {
		t.Errorf("the HTML file is not a page:\n%s", page)
	}
	x := filepath.Join(filepath.Dir(js), "ci", "junit.xml")
	if err := WriteJUnit(x, r); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(x); err != nil || !strings.Contains(string(b), "<testsuites") {
		t.Errorf("JUnit file: %v\n%s", err, b)
	}
}

func TestHTMLPath(t *testing.T) {
	for in, want := range map[string]string{"r/x.json": "r/x.html", "out.txt": "out.html", "a.b/c": "a.b/c.html"} {
		if got := HTMLPath(in); got != want {
			t.Errorf("HTMLPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Write(filepath.Join(file, "sub", "r"), Report{}); err == nil || strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("Write under a file: err = %v, want a one-line error", err)
	}
}

func TestBuildServerDied(t *testing.T) {
	v := &check.Violation{ID: "TCP-BYTES", Case: "byte 0xff alone", Expected: "every byte written so far to come back", Observed: "0 of 1 reply bytes, then EOF", Where: "connection 0 step 1"}
	died := spec("0xff", "TCP-BYTES", 99, types.SpecStateFailed, &Outcome{ID: "TCP-BYTES", Violations: check.Violations{v}, Server: "server exited (status 3) while checking TCP-BYTES"})
	r := Build(suite(append(passingSuite(), died)...), "t")
	q := byID(t, r, "TCP-BYTES")
	if q.Status != Fail || q.Observed != "server exited (status 3) while checking TCP-BYTES; 0 of 1 reply bytes, then EOF" {
		t.Errorf("TCP-BYTES = %s (%q), want fail headed by the server's exit", q.Status, q.Observed)
	}
	if !strings.Contains(q.Evidence, "byte 0xff alone; connection 0 step 1") {
		t.Errorf("evidence %q lacks the violation's case and where", q.Evidence)
	}
}

func TestBuildInfoServerDied(t *testing.T) {
	specs := passingSuite()
	for i := range specs {
		if specs[i].LeafNodeLabels[0] == "TCP-EMPTYWRITE" {
			specs[i] = spec("empty", "TCP-EMPTYWRITE", 50, types.SpecStatePassed, &Outcome{ID: "TCP-EMPTYWRITE", Server: "server exited (status 1) while checking TCP-EMPTYWRITE"})
		}
	}
	// An INFO spec that failed for another reason is an observation too.
	specs = append(specs, spec("slow", "TCP-EMPTYWRITE", 60, types.SpecStateFailed, nil))
	r := Build(suite(specs...), "t")
	q := byID(t, r, "TCP-EMPTYWRITE")
	if q.Status != Pass || !strings.HasPrefix(q.Observed, "server exited (status 1)") || q.Specs != 2 {
		t.Errorf("TCP-EMPTYWRITE = %s with %d specs (%q), want pass with the exit as observation", q.Status, q.Specs, q.Observed)
	}
}

func TestBuildHarnessOutcomeWithViolations(t *testing.T) {
	// The target stopped answering for good: the spec's violations are
	// only the symptom, not a verdict.
	gone := spec("gone", "TCP-CHURN", 99, types.SpecStateFailed, &Outcome{ID: "TCP-CHURN", Harness: "UPCHECK_TCP: nothing answers at 127.0.0.1:9000 (connection refused)",
		Violations: check.Violations{{ID: "TCP-CHURN", Expected: "accepted", Observed: "connection refused"}}})
	r := Build(suite(append(passingSuite(), gone)...), "t")
	if q := byID(t, r, "TCP-CHURN"); q.Status != Error || !strings.Contains(q.Observed, "nothing answers") {
		t.Errorf("TCP-CHURN = %s (%q), want error", q.Status, q.Observed)
	}
}

func TestBuildRunEndedEarly(t *testing.T) {
	msg := `UPCHECK_SERVER_CMD: "./server {tcp}" exited (status 5) before answering`
	specs := passingSuite()
	aborted := spec("aborted", "TCP-EOF", 99, types.SpecStateAborted, &Outcome{ID: "TCP-EOF", Harness: msg})
	aborted.Failure.Message = HarnessPrefix + msg
	// Skipped after the abort, within the label filter: not judged.
	after := spec("after", "TCP-RESET", 99, types.SpecStateSkipped, nil)
	// Filtered out: not selected, whatever happened.
	filtered := spec("filtered", "UDP-ONCE", 1, types.SpecStateSkipped, nil)
	r := suite(append(specs[:0:0], aborted, after, filtered)...)
	r.SuiteConfig.LabelFilter = "tcp"
	rep := Build(r, "t")
	for id, want := range map[string]Status{"TCP-EOF": Error, "TCP-RESET": Error, "UDP-ONCE": Skip, "TCP-CHURN": Skip} {
		if q := byID(t, rep, id); q.Status != want {
			t.Errorf("%s = %s (%q), want %s", id, q.Status, q.Observed, want)
		}
	}
	if q := byID(t, rep, "TCP-RESET"); q.Observed != "not judged: the run ended early: "+msg {
		t.Errorf("TCP-RESET observed %q", q.Observed)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], msg) {
		t.Errorf("notes %q, want the reason the run ended", rep.Notes)
	}
}

func TestVersion(t *testing.T) {
	// A test binary is built from the work tree: no module version.
	if v := Version(); v != "devel" && !strings.HasPrefix(v, "v") {
		t.Errorf("Version() = %q, want devel or a module version", v)
	}
}

// A spec that ended without a verdict (ginkgo's timeout, a panic in the
// harness) fails nothing: its requirement is not judged, and the report
// says why, even when the message names the requirement.
func TestBuildNoVerdictIsNotAFailure(t *testing.T) {
	for _, tc := range []struct {
		state types.SpecState
		says  string
	}{
		{types.SpecStateTimedout, "not judged: the spec timed out"},
		{types.SpecStatePanicked, "not judged: the spec panicked"},
		{types.SpecStateInterrupted, "not judged: interrupted"},
	} {
		t.Run(tc.state.String(), func(t *testing.T) {
			sr := spec("TCP-EOF slow", "TCP-EOF", 99, tc.state, &Outcome{ID: "TCP-EOF"})
			sr.Failure.Message = "TCP-EOF: no EOF within the timeout"
			r := Build(suite(append(passingSuite(), sr)...), "t")
			q := byID(t, r, "TCP-EOF")
			if q.Status != Error || !strings.HasPrefix(q.Observed, tc.says) {
				t.Errorf("TCP-EOF = %s (%q), want error saying %q", q.Status, q.Observed, tc.says)
			}
			if c := r.Counts(); c[Fail] != 0 {
				t.Errorf("%d requirements failed, want none", c[Fail])
			}
		})
	}
}

// A spec that failed on another requirement's violation fails that
// requirement, not the one it is labelled with, which is not judged and
// says what it needs.
func TestBuildViolationCountsAgainstItsRequirement(t *testing.T) {
	v := &check.Violation{ID: "TCP-BYTES", Case: "a", Expected: "upper(request)", Observed: "byte 0x7a changed to 0x7a", Where: "offset 3"}
	eof := spec("TCP-EOF after 64 KiB", "TCP-EOF", 99, types.SpecStateFailed, &Outcome{ID: "TCP-EOF", Violations: check.Violations{v}})
	r := Build(suite(append(passingSuite(), eof)...), "t")
	q := byID(t, r, "TCP-EOF")
	if q.Status != NotJudged || q.Observed != "not judged: needs TCP-BYTES" {
		t.Errorf("TCP-EOF = %s (%q), want not-judged, needing TCP-BYTES", q.Status, q.Observed)
	}
	b := byID(t, r, "TCP-BYTES")
	if b.Status != Fail || b.Observed != v.Observed || !strings.Contains(b.Evidence, `spec "TCP-EOF TCP-EOF after 64 KiB"`) {
		t.Errorf("TCP-BYTES = %s (%q; %q), want fail with the violation and the spec that saw it", b.Status, b.Observed, b.Evidence)
	}
	// A violation of its own fails it, whatever else the spec saw.
	own := &check.Violation{ID: "TCP-EOF", Expected: "EOF", Observed: "a reset"}
	both := spec("TCP-EOF both", "TCP-EOF", 98, types.SpecStateFailed, &Outcome{ID: "TCP-EOF", Violations: check.Violations{v, own}})
	r = Build(suite(append(passingSuite(), eof, both)...), "t")
	if q := byID(t, r, "TCP-EOF"); q.Status != Fail || q.Observed != "a reset" {
		t.Errorf("TCP-EOF = %s (%q), want fail on its own violation", q.Status, q.Observed)
	}
	if md := r.Markdown(); !strings.Contains(md, "| TCP-BYTES | MUST | **fail** |") {
		t.Errorf("Markdown lacks TCP-BYTES failed:\n%s", md)
	}
	// What the clients saw of a server that went away fails nothing else.
	died := spec("TCP-EOF died", "TCP-EOF", 97, types.SpecStateFailed, &Outcome{ID: "TCP-EOF", Violations: check.Violations{v}, Server: "server exited (status 2) while checking TCP-EOF"})
	r = Build(suite(append(passingSuite(), died)...), "t")
	if q, b := byID(t, r, "TCP-EOF"), byID(t, r, "TCP-BYTES"); q.Status != Fail || b.Status != Pass {
		t.Errorf("TCP-EOF = %s, TCP-BYTES = %s after the server died; want fail, pass", q.Status, b.Status)
	}
	r = Build(suite(append(passingSuite(), eof)...), "t")
	if md := r.Markdown(); !strings.Contains(md, "1 not judged (another requirement failed)\n") {
		t.Errorf("Markdown does not count the requirement not judged:\n%s", md)
	}
}

// The evidence of a failed requirement names every spec where its
// violation was seen; that of a requirement not judged names the one to
// fix first; the run's seed has a line of its own.
func TestBuildEvidenceSeenInAndFixFirst(t *testing.T) {
	eofV := &check.Violation{ID: "TCP-EOF", Case: "random chunks, seed 7", Expected: "EOF after the reply", Observed: "no EOF within the timeout"}
	own := spec("TCP-EOF half-close", "TCP-EOF", 90, types.SpecStateFailed, &Outcome{ID: "TCP-EOF", Violations: check.Violations{eofV}})
	stream := spec("random chunks, seed 7", "TCP-STREAM", 80, types.SpecStateFailed, &Outcome{ID: "TCP-STREAM", Violations: check.Violations{eofV}})
	r := Build(suite(append(passingSuite(), own, stream)...), "t")
	q := byID(t, r, "TCP-EOF")
	if q.Status != Fail || !strings.Contains(q.Evidence, `seen in 2 specs: "TCP-EOF TCP-EOF half-close"; "TCP-STREAM random chunks, seed 7"`) {
		t.Errorf("TCP-EOF = %s, evidence %q; want fail, seen in both specs", q.Status, q.Evidence)
	}
	for _, l := range strings.Split(q.Evidence, "\n") {
		if strings.Count(l, "seed") > 1 {
			t.Errorf("evidence line %q has more than one seed", l)
		}
	}
	// A case the spec's name already says is not repeated.
	only := Build(suite(append(passingSuite(), stream)...), "t")
	if ev := byID(t, only, "TCP-EOF").Evidence; strings.Count(ev, "random chunks, seed 7") != 1 {
		t.Errorf("evidence %q names the case more than once", ev)
	}
	s := byID(t, r, "TCP-STREAM")
	if s.Status != NotJudged || !strings.HasSuffix(s.Evidence, "\nfix TCP-EOF first") {
		t.Errorf("TCP-STREAM = %s, evidence %q; want not-judged, fix TCP-EOF first", s.Status, s.Evidence)
	}
}

// A requirement the run did not reach before it was interrupted says so,
// not "not selected".
func TestBuildInterrupted(t *testing.T) {
	specs := passingSuite()
	var kept []types.SpecReport
	for _, sr := range specs {
		if requirementOfSpec(sr) == "TCP-CHURN" {
			sr.State = types.SpecStateSkipped
			sr.ReportEntries = nil
		}
		kept = append(kept, sr)
	}
	rep := suite(kept...)
	rep.SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	rep.RunTime = 240 * time.Second
	q := byID(t, Build(rep, "t"), "TCP-CHURN")
	if q.Status != NotJudged || q.Observed != "not run: interrupted after 240 s" {
		t.Errorf("TCP-CHURN = %s (%q), want not-judged, not run: interrupted after 240 s", q.Status, q.Observed)
	}
}

func requirementOfSpec(sr types.SpecReport) string { return sr.LeafNodeLabels[0] }

// An INFO row reads as an observation: no verdict, no rule held against it.
func TestMarkdownInfoRow(t *testing.T) {
	md := Build(suite(passingSuite()...), "t").Markdown()
	if !strings.Contains(md, "| TCP-EMPTYWRITE | INFO | info | 1 | seen: no reply to the zero-length write |  |") {
		t.Errorf("Markdown's INFO row is not an observation:\n%s", md)
	}
}
