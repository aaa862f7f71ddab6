package mutation

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// failedSpec is a spec labelled id that ended in state with outcome o.
func failedSpec(id, state string, o report.Outcome) suiterun.Spec {
	return suiterun.Spec{Text: id + " spec", Labels: []string{id, strings.ToLower(id[:3])}, State: state,
		Failure: "failure of " + id, Outcome: o, HasOutcome: true}
}

func violation(id string) *check.Violation {
	return &check.Violation{ID: id, Case: "c", Expected: "upper(request)", Observed: "something else", Where: "offset 0"}
}

func TestSpecCatches(t *testing.T) {
	breaks := []string{"TCP-EOF", "TCP-STREAM"}
	for _, tc := range []struct {
		name   string
		spec   suiterun.Spec
		counts bool
		why    string
	}{
		{"a violation it breaks", failedSpec("TCP-EOF", "failed", report.Outcome{ID: "TCP-EOF", Violations: check.Violations{violation("TCP-EOF")}}), true, ""},
		{"a violation it breaks, seen by another spec", failedSpec("TCP-BYTES", "failed", report.Outcome{ID: "TCP-BYTES", Violations: check.Violations{violation("TCP-STREAM")}}), true, ""},
		{"the server died on a requirement it breaks", failedSpec("TCP-EOF", "failed", report.Outcome{ID: "TCP-EOF", Server: "server exited (status 2) while checking TCP-EOF"}), true, ""},
		{"timed out, whatever it recorded", failedSpec("TCP-EOF", "timedout", report.Outcome{ID: "TCP-EOF", Violations: check.Violations{violation("TCP-EOF")}}), false, "the spec timed out: no verdict"},
		{"panicked", failedSpec("TCP-EOF", "panicked", report.Outcome{ID: "TCP-EOF"}), false, "the spec panicked: no verdict"},
		{"aborted", failedSpec("TCP-EOF", "aborted", report.Outcome{ID: "TCP-EOF"}), false, "the spec was aborted: no verdict"},
		{"a harness error", failedSpec("TCP-EOF", "failed", report.Outcome{ID: "TCP-EOF", Harness: "context deadline exceeded", Violations: check.Violations{violation("TCP-EOF")}}), false, "harness error"},
		{"another requirement's violation", failedSpec("TCP-EOF", "failed", report.Outcome{ID: "TCP-EOF", Violations: check.Violations{violation("TCP-BYTES")}}), false, "violations of TCP-BYTES only, which it does not break"},
		{"the server died on another requirement", failedSpec("TCP-RESET", "failed", report.Outcome{ID: "TCP-RESET", Server: "server exited (status 2) while checking TCP-RESET"}), false, "the server went away while TCP-RESET was checked, which it does not break"},
		{"the server died on another requirement, the clients' symptoms named one it breaks", failedSpec("TCP-RESET", "failed", report.Outcome{ID: "TCP-RESET", Server: "server exited (status 2) while checking TCP-RESET",
			Violations: check.Violations{violation("TCP-EOF")}}), false, "the server went away while TCP-RESET was checked, which it does not break"},
		{"no violation", failedSpec("TCP-EOF", "failed", report.Outcome{ID: "TCP-EOF"}), false, "the spec failed without a violation"},
		{"no outcome", suiterun.Spec{Text: "x", State: "failed", Failure: "Expected true"}, false, "the spec failed without recording what its check found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SpecCatches(breaks, []suiterun.Spec{tc.spec, {Text: "passed", State: "passed"}})
			if len(got) != 1 {
				t.Fatalf("%d findings, want 1: %+v", len(got), got)
			}
			if f := got[0]; f.Counts != tc.counts || f.Why != tc.why || f.Line == "" {
				t.Errorf("finding %+v; want counts %v, why %q", f, tc.counts, tc.why)
			}
		})
	}
}

// failing is a property that fails every case with text.
func failing(text string) func(*rapid.T) {
	return func(t *rapid.T) {
		rapid.Int().Draw(t, "n")
		t.Fatalf("%s", text)
	}
}

func TestPropertyCatch(t *testing.T) {
	breaks := []string{"TCP-RESET"}
	for _, tc := range []struct {
		name   string
		prop   func(*rapid.T)
		counts bool
		why    string
	}{
		{"a violation it breaks", failing(violation("TCP-RESET").Error() + "\n" + violation("TCP-BYTES").Error()), true, ""},
		{"its death blamed on one it breaks", failing("server died while checking TCP-RESET"), true, ""},
		{"a violation of another", failing(violation("TCP-BYTES").Error()), false, "names TCP-BYTES, which it does not break"},
		{"a context deadline", failing(fuzz.HarnessPrefix + "context deadline exceeded"), false, "names no requirement: a harness error"},
		{"a refused dial after a failed restart", failing(fuzz.HarnessPrefix + "cannot restart the mutant: bind: address already in use"), false, "names no requirement: a harness error"},
		{"a panic", func(t *rapid.T) { panic(violation("TCP-RESET").Error()) }, false, "a panic, not a verdict"},
		{"no valid case", func(t *rapid.T) { t.Skip("not served") }, false, "no valid case: the property could not check it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := PropertyCatch(breaks, "P", 3, Catch(tc.name, tc.prop))
			if !ok || f.Counts != tc.counts || f.Why != tc.why {
				t.Errorf("finding %+v (%v); want counts %v, why %q", f, ok, tc.counts, tc.why)
			}
		})
	}
	if _, ok := PropertyCatch(breaks, "P", 0, Catch("pass", func(t *rapid.T) { rapid.Int().Draw(t, "n") })); ok {
		t.Error("a passing property found something")
	}
}

// TestABrokenCheckFailsTheScore: a check that times out on every server
// (every spec ends by its timeout; every property case ends at its
// context's deadline) catches nothing. Fed to the campaign's own scoring,
// every mutant is uncaught, the score is 0%, and TestMutationScore, which
// fails for each line uncaught returns, would fail, where counting any
// failure would have given 100%.
func TestABrokenCheckFailsTheScore(t *testing.T) {
	ms := allMutants()
	runs := map[string]suitesRun{}
	fz := map[string]map[string]*fuzzResult{}
	deadline := Catch("deadline", failing(fuzz.HarnessPrefix+"context deadline exceeded"))
	for _, m := range ms {
		var specs []suiterun.Spec
		var reqs []report.Requirement
		for _, id := range m.Breaks {
			// The check even recorded a violation of the requirement
			// before the timeout ended the spec: still no verdict.
			specs = append(specs, failedSpec(id, "timedout", report.Outcome{ID: id, Violations: check.Violations{violation(id)}}))
			q, _ := check.Lookup(id)
			reqs = append(reqs, report.Requirement{ID: id, Level: q.Level, Status: report.Error, Observed: "not judged: the spec timed out"})
		}
		runs[m.Name] = suitesRun{res: &suiterun.Result{Report: report.Report{Requirements: reqs}, Specs: specs, ExitCode: 1}}
		fz[m.Name] = map[string]*fuzzResult{}
		for _, p := range fuzz.Properties {
			if slices.Contains(m.Protocols(), propertyProto(p)) {
				fz[m.Name][p.Name] = &fuzzResult{Caught: deadline, Case: 1}
			}
		}
	}
	rows := rowsOf(ms, runs, fz)
	for _, r := range rows {
		if r.Caught {
			t.Errorf("%s counts as caught by %+v", r.Mutant, r.Counted())
		}
		if len(r.NotCounted()) == 0 {
			t.Errorf("%s: the failures that did not count are not listed", r.Mutant)
		}
	}
	if got := uncaught(rows, len(ms)); len(got) != len(ms) {
		t.Errorf("uncaught lists %d problems, want one per mutant (%d): %q", len(got), len(ms), got)
	}
	table := Table(rows)
	if want := fmt.Sprintf("mutation score: 0/%d (0%%)", len(ms)); !strings.Contains(table, want) {
		t.Errorf("the table does not say %q:\n%s", want, table)
	}
	if !strings.Contains(table, "the spec timed out: no verdict") || !strings.Contains(table, "names no requirement: a harness error") {
		t.Errorf("the table does not say why the failures did not count:\n%s", table)
	}
}

// TestAControlFailsWithACheckThatFailsEveryServer: a check that fails every
// server with violations (here: every property at a time scale so small
// that no reply can come in time) "catches" a mutant, and fails the
// reference, run by the same code under the same conditions, too: the
// control test (TestFuzzPassesTheReference) would fail.
func TestAControlFailsWithACheckThatFailsEveryServer(t *testing.T) {
	const impossible = 1e-6
	m, _ := mutants.ByName("OffByOneZ")
	caught := fuzzServer(m, []string{"tcp"}, 1, impossible)["TCPScripts"]
	if f, ok := PropertyCatch(m.Breaks, "TCPScripts", caught.Case, caught.Caught); !ok {
		t.Fatalf("the broken check did not fail %s", m.Name)
	} else {
		t.Logf("the broken check fails %s: counts %v: %s", m.Name, f.Counts, f.Line)
	}
	ref := fuzzServer(&mutants.Mutant{Name: "reference"}, []string{"tcp"}, 1, impossible)["TCPScripts"]
	if ref == nil || !ref.Failed() {
		t.Fatalf("the reference passed a check that cannot be passed: %+v", ref)
	}
	t.Logf("the control fails: %s", ref.Failure())
}
