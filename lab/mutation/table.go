package mutation

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Row is one mutant's line of the mutation table.
type Row struct {
	// Mutant is the mutant's name.
	Mutant string
	// Breaks are the requirements it breaks, the one it was written to
	// break first.
	Breaks []string
	// Caught says whether the harness caught it: the suites reported its
	// first requirement failed, or a fuzz property was falsified by it.
	Caught bool
	// Failing are the requirements the suites reported failed.
	Failing []string
	// Specs are the specs that failed, those of its first requirement
	// first.
	Specs []string
	// SpecsNote, when no spec caught it, says why none is expected to.
	SpecsNote string
	// Fuzz are the fuzz properties it falsified.
	Fuzz []string
	// FuzzNote, when no property caught it, says why none is expected to.
	FuzzNote string
}

// specNames is how many spec names a cell shows; the count says the rest.
const specNames = 2

// maxName bounds a spec name in the table.
const maxName = 60

// Table renders rows as a Markdown table, its columns padded so that it
// also reads as plain text, followed by the mutation score line.
func Table(rows []Row) string {
	header := []string{"mutant", "breaks", "caught", "failing requirements", "catching specs", "fuzz properties"}
	cells := [][]string{header}
	for _, r := range rows {
		caught := "no"
		if r.Caught {
			caught = "yes"
		}
		fuzz := strings.Join(r.Fuzz, ", ")
		if fuzz == "" {
			fuzz = "-"
			if r.FuzzNote != "" {
				fuzz = "- (" + r.FuzzNote + ")"
			}
		}
		cells = append(cells, []string{
			r.Mutant, strings.Join(r.Breaks, ", "), caught,
			orDash(strings.Join(r.Failing, ", ")), specsCell(r.Specs, r.SpecsNote), fuzz,
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
	b.WriteString("\n" + ScoreLine(rows) + "\n")
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

// specsCell is "N: name, name, ..." for a table cell, or "- (note)".
func specsCell(specs []string, note string) string {
	if len(specs) == 0 {
		if note != "" {
			return "- (" + cellText(note) + ")"
		}
		return "-"
	}
	var names []string
	for _, s := range specs[:min(len(specs), specNames)] {
		names = append(names, cellText(shorten(s, maxName)))
	}
	more := ""
	if len(specs) > specNames {
		more = ", ..."
	}
	return fmt.Sprintf("%d: %s%s", len(specs), strings.Join(names, "; "), more)
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
