package mutation

import (
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	rows := []Row{
		{Mutant: "UnicodeUpper", Breaks: []string{"TCP-BYTES"}, Caught: true, Failing: []string{"TCP-BYTES", "TCP-EOF"}, SuiteTime: 12340 * time.Millisecond,
			Specs: []Finding{
				{By: "spec TCP-BYTES maps each of the 256 byte values alone", Line: "TCP-BYTES [0xe9 alone]: expected upper(request); observed byte 0xe9 changed to 0xc9", Counts: true},
				{By: "spec TCP-BYTES a|b", Line: "TCP-BYTES: expected x; observed y", Counts: true},
				{By: "spec TCP-EOF slow", Line: "A spec timeout occurred", Why: "the spec timed out: no verdict"},
			},
			Fuzz: []Finding{{By: "property TCPScripts (case 6)", Line: "TCP-BYTES: expected x; observed y", Counts: true}}},
		{Mutant: "ConnLimitLeak", Breaks: []string{"TCP-CHURN", "TCP-RESET"}, Caught: true, Failing: []string{"TCP-CHURN", "TCP-ISOLATION", "TCP-EOF"}, SuiteTime: 61250 * time.Millisecond,
			Specs:    []Finding{{By: "spec TCP-CHURN serves 2000 sequential and 500 overlapping connections, every 10th reset", Line: "server died while checking TCP-CHURN", Counts: true}},
			FuzzNote: "needs 1000 connections"},
		{Mutant: "Missed", Breaks: []string{"UDP-ONCE"}, SpecsNote: "no spec | sends it",
			Fuzz: []Finding{{By: "property UDPScripts", Line: "harness error: context deadline exceeded", Why: "names no requirement: a harness error"}}},
	}
	got := Table(rows)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) < 7 {
		t.Fatalf("%d lines, want header, rule, 3 rows, blank, score and more:\n%s", len(lines), got)
	}
	for _, want := range []string{"| mutant ", "| breaks ", "| caught ", "| failing requirements ", "| extra failures ", "| suite time ", "| catching specs ", "| fuzz properties ", "| first violation that counts ", "| not counted "} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header lacks %q: %s", want, lines[0])
		}
	}
	// Columns are padded: every line of the table is as wide.
	for _, l := range lines[1:5] {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("line %q is not as wide as the header", l)
		}
	}
	for _, want := range []string{
		"| UnicodeUpper ", "| yes ", "2: TCP-BYTES maps each of the 256 byte values alone, ...", "| TCPScripts (case 6) ",
		"| TCP-BYTES [0xe9 alone]: expected upper(request); observed byte 0xe9 changed to 0xc9 ",
		"| TCP-CHURN, TCP-RESET ", "1: TCP-CHURN serves 2000 sequential and 500 overlapping connec…", "- (needs 1000 connections)",
		"| server died while checking TCP-CHURN ",
		"| Missed ", "| no ", "| - (no spec \\| sends it) ",
		"| TCP-BYTES, TCP-EOF ", "| 1: TCP-EOF ", "| 12.3 s ",
		"| 2: TCP-ISOLATION, TCP-EOF ", "| 61.2 s ", "| 0 ", "| - ",
		"mutation score: 2/3 (66%)\nextra failures: 3 over 3 mutants (at most 0, a quarter); slowest suite time: 61.2 s (ConnLimitLeak)\n",
		"- UnicodeUpper: spec TCP-EOF slow: the spec timed out: no verdict: A spec timeout occurred",
		"- Missed: property UDPScripts: names no requirement: a harness error: harness error: context deadline exceeded",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if got := ExtraLine(rows[2:]); got != "extra failures: 0 over 1 mutants (at most 0, a quarter); slowest suite time: -" {
		t.Errorf("ExtraLine without a run = %q", got)
	}
	if ScoreLine(rows[:2]) != "mutation score: 2/2 (100%)" {
		t.Errorf("ScoreLine = %q", ScoreLine(rows[:2]))
	}
}

// TestExtraFailures checks what counts as an extra failure and the quarter
// allowed.
func TestExtraFailures(t *testing.T) {
	rows := []Row{
		{Mutant: "A", Breaks: []string{"TCP-EOF"}, Failing: []string{"TCP-EOF"}},
		{Mutant: "B", Breaks: []string{"TCP-STREAM", "TCP-ROUNDTRIP"}, Failing: []string{"TCP-ROUNDTRIP", "TCP-STREAM"}},
		{Mutant: "C", Breaks: []string{"UDP-SOURCE"}, Failing: []string{"UDP-ROUNDTRIP", "UDP-SOURCE", "UDP-ONCE"}},
		{Mutant: "D", Breaks: []string{"UDP-ONCE"}},
	}
	for i, want := range []string{"", "", "UDP-ROUNDTRIP UDP-ONCE", ""} {
		if got := strings.Join(rows[i].Extra(), " "); got != want {
			t.Errorf("%s: Extra = %q, want %q", rows[i].Mutant, got, want)
		}
	}
	if got := ExtraFailures(rows); got != 2 {
		t.Errorf("ExtraFailures = %d, want 2", got)
	}
	for n, want := range map[int]int{0: 0, 3: 0, 4: 1, 7: 1, 8: 2, 38: 9} {
		if got := ExtraAllowed(n); got != want {
			t.Errorf("ExtraAllowed(%d) = %d, want %d", n, got, want)
		}
	}
}
