package mutation

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	rows := []Row{
		{Mutant: "UnicodeUpper", Breaks: []string{"TCP-BYTES"}, Caught: true, Failing: []string{"TCP-BYTES"},
			Specs: []string{"TCP-BYTES maps each of the 256 byte values alone", "TCP-BYTES a|b", "TCP-BYTES third"}, Fuzz: []string{"TCPScripts"}},
		{Mutant: "ConnLimitLeak", Breaks: []string{"TCP-CHURN", "TCP-RESET"}, Caught: true, Failing: []string{"TCP-CHURN"},
			Specs: []string{"TCP-CHURN serves 2000 sequential and 500 overlapping connections, every 10th reset"}, FuzzNote: "needs 1000 connections"},
		{Mutant: "Missed", Breaks: []string{"UDP-ONCE"}, SpecsNote: "no spec | sends it"},
	}
	got := Table(rows)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want header, rule, 3 rows, blank and score:\n%s", len(lines), got)
	}
	for _, want := range []string{"| mutant ", "| breaks ", "| caught ", "| failing requirements ", "| catching specs ", "| fuzz properties "} {
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
		"| UnicodeUpper ", "| yes ", "3: TCP-BYTES maps each of the 256 byte values alone; TCP-BYTES a\\|b, ...", "| TCPScripts ",
		"| TCP-CHURN, TCP-RESET ", "1: TCP-CHURN serves 2000 sequential and 500 overlapping connec…", "- (needs 1000 connections)",
		"| Missed ", "| no ", "| - (no spec \\| sends it) ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if last := lines[len(lines)-1]; last != "mutation score: 2/3 (66%)" {
		t.Errorf("last line %q", last)
	}
	if ScoreLine(rows[:2]) != "mutation score: 2/2 (100%)" {
		t.Errorf("ScoreLine = %q", ScoreLine(rows[:2]))
	}
}
