package mutation

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one mutant's line of the mutation table.
type Row struct {
	// Mutant is the mutant's name.
	Mutant string
	// Breaks are the requirements it breaks, the one it was written to
	// break first.
	Breaks []string
	// Caught says whether the harness caught it: a Finding of Specs or
	// Fuzz counts.
	Caught bool
	// Failing are the requirements the suites reported failed.
	Failing []string
	// Specs are what the suites found: the specs that caught it, then the
	// failed specs that did not count.
	Specs []Finding
	// SpecsNote, when no spec caught it, says why none is expected to.
	SpecsNote string
	// Fuzz are what the fuzz properties found, those that caught it first.
	Fuzz []Finding
	// FuzzNote, when no property caught it, says why none is expected to.
	FuzzNote string
	// SuiteTime is the wall time of the suites' run against it; zero
	// when they did not run. It is a figure to read, never judged.
	SuiteTime time.Duration
}

// Extra returns the requirements the suites reported failed that the
// mutant does not break: a failure reported under the wrong rule, which
// sends a server's author to fix what is not broken.
func (r Row) Extra() []string {
	var out []string
	for _, id := range r.Failing {
		if !slices.Contains(r.Breaks, id) {
			out = append(out, id)
		}
	}
	return out
}

// Counted returns the findings that caught r's mutant, specs first.
func (r Row) Counted() []Finding { return r.findings(true) }

// NotCounted returns the failures found for another reason.
func (r Row) NotCounted() []Finding { return r.findings(false) }

func (r Row) findings(counts bool) []Finding {
	var out []Finding
	for _, f := range append(append([]Finding(nil), r.Specs...), r.Fuzz...) {
		if f.Counts == counts {
			out = append(out, f)
		}
	}
	return out
}

// maxName bounds a spec's name, and maxLine a violation's line, in the
// table; maxOther is how many failures that did not count are listed for
// a mutant (the table's column counts them all).
const (
	maxName  = 60
	maxLine  = 110
	maxOther = 5
)

// Table renders rows as a Markdown table, its columns padded so that it
// also reads as plain text, followed by the mutation score line and the
// list of failures that did not count. For each mutant it says what caught
// it: how many specs and which first, which properties, and the first line
// of the first violation (or server death) that counts.
func Table(rows []Row) string {
	header := []string{"mutant", "breaks", "caught", "failing requirements", "extra failures", "suite time", "catching specs", "fuzz properties", "first violation that counts", "not counted"}
	cells := [][]string{header}
	for _, r := range rows {
		caught := "no"
		if r.Caught {
			caught = "yes"
		}
		first := "-"
		if c := r.Counted(); len(c) > 0 {
			first = cellText(shorten(c[0].Line, maxLine))
		}
		notCounted := "-"
		if n := len(r.NotCounted()); n > 0 {
			notCounted = fmt.Sprint(n)
		}
		cells = append(cells, []string{
			r.Mutant, strings.Join(r.Breaks, ", "), caught,
			orDash(strings.Join(r.Failing, ", ")), extraCell(r.Extra()), suiteTime(r.SuiteTime), specsCell(r.Specs, r.SpecsNote), fuzzCell(r.Fuzz, r.FuzzNote), first, notCounted,
		})
	}
	width := make([]int, len(header))
	for _, row := range cells {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(row []string) {
		b.WriteString("|")
		for i, c := range row {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString("\n")
	}
	line(cells[0])
	b.WriteString("|")
	for _, w := range width {
		b.WriteString(" " + strings.Repeat("-", w) + " |")
	}
	b.WriteString("\n")
	for _, row := range cells[1:] {
		line(row)
	}
	b.WriteString("\n" + ScoreLine(rows) + "\n" + ExtraLine(rows) + "\n")
	var other []string
	for _, r := range rows {
		nc := r.NotCounted()
		for _, f := range nc[:min(len(nc), maxOther)] {
			other = append(other, fmt.Sprintf("- %s: %s: %s: %s\n", r.Mutant, cellText(f.By), f.Why, cellText(shorten(f.Line, maxLine))))
		}
		if len(nc) > maxOther {
			other = append(other, fmt.Sprintf("- %s: %d more\n", r.Mutant, len(nc)-maxOther))
		}
	}
	if len(other) > 0 {
		b.WriteString("\nFailures that do not count (not a violation of a requirement the mutant breaks, in a spec that ended failed or a property's confirmed failure):\n\n")
		b.WriteString(strings.Join(other, ""))
	}
	return b.String()
}

// ScoreLine returns "mutation score: N/M (P%)": how many mutants were
// caught, of how many.
func ScoreLine(rows []Row) string {
	caught := 0
	for _, r := range rows {
		if r.Caught {
			caught++
		}
	}
	pct := 0
	if len(rows) > 0 {
		pct = caught * 100 / len(rows)
	}
	return fmt.Sprintf("mutation score: %d/%d (%d%%)", caught, len(rows), pct)
}

// ExtraFailures returns how many requirements the suites failed beyond
// those the mutants break, summed over rows.
func ExtraFailures(rows []Row) int {
	n := 0
	for _, r := range rows {
		n += len(r.Extra())
	}
	return n
}

// ExtraAllowed returns the most extra failures a table of n mutants may
// hold: a quarter of n.
func ExtraAllowed(n int) int { return n / 4 }

// ExtraLine returns the table's total line: the extra failures summed,
// against the quarter of the mutants allowed, and the slowest suite time,
// with its mutant.
func ExtraLine(rows []Row) string {
	var slowest Row
	for _, r := range rows {
		if r.SuiteTime > slowest.SuiteTime {
			slowest = r
		}
	}
	slow := "-"
	if slowest.SuiteTime > 0 {
		slow = fmt.Sprintf("%s (%s)", suiteTime(slowest.SuiteTime), slowest.Mutant)
	}
	return fmt.Sprintf("extra failures: %d over %d mutants (at most %d, a quarter); slowest suite time: %s",
		ExtraFailures(rows), len(rows), ExtraAllowed(len(rows)), slow)
}

// extraCell is "N: ID, ID" for the extra failures of a row, or "0".
func extraCell(ids []string) string {
	if len(ids) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %s", len(ids), strings.Join(ids, ", "))
}

// suiteTime is a suite time in seconds, "12.3 s", or "-" for no run.
func suiteTime(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// specsCell is "N: name, name, ..." for the specs that caught a mutant,
// or "- (note)".
func specsCell(fs []Finding, note string) string {
	var names []string
	for _, f := range fs {
		if f.Counts {
			names = append(names, strings.TrimPrefix(f.By, "spec "))
		}
	}
	if len(names) == 0 {
		if note != "" {
			return "- (" + cellText(note) + ")"
		}
		return "-"
	}
	more := ""
	if len(names) > 1 {
		more = ", ..."
	}
	return fmt.Sprintf("%d: %s%s", len(names), cellText(shorten(names[0], maxName)), more)
}

// fuzzCell names the properties that caught a mutant, with the case that
// did, or "- (note)".
func fuzzCell(fs []Finding, note string) string {
	var names []string
	for _, f := range fs {
		if f.Counts {
			names = append(names, strings.TrimPrefix(f.By, "property "))
		}
	}
	if len(names) == 0 {
		if note != "" {
			return "- (" + cellText(note) + ")"
		}
		return "-"
	}
	return cellText(strings.Join(names, ", "))
}

// shorten cuts s to n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cellText keeps s on one line and its pipes from ending the cell.
func cellText(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
