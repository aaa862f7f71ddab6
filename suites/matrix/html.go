package matrix

import (
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// HTML renders the matrix as one self-contained HTML page, the page of
// report.HTML: a table with one row per requirement and one column per
// implementation, each cell coloured by its status, with the observed and
// expected behaviour and the evidence on hover (the title) and in a
// <details> that opens on a click; under the table each column's summary,
// its suite time when the matrix ran any, and what it checked (its command
// or its report's target). The page has inline CSS only: no script,
// nothing from the network.
func HTML(cols []Column) ([]byte, error) {
	g := report.Grid{
		Title:    "upcheck conformance matrix",
		Intro:    []string{"Rows are the requirements of SEMANTICS.md, columns the implementations checked. Hover over a cell for what was observed; click it for the details."},
		Commands: "What each implementation ran ({tcp} and {udp} filled in by the harness):",
	}
	withTime := timed(cols)
	for _, c := range cols {
		gc := report.Column{Name: c.Name, Note: c.Note, Link: c.ReportFile, Command: c.Target(), Summary: c.Summary()}
		if withTime {
			gc.Time = c.SuiteTime()
		}
		for _, req := range check.Requirements {
			gc.Cells = append(gc.Cells, c.Cell(req.ID))
		}
		g.Columns = append(g.Columns, gc)
	}
	return report.HTML(g)
}
