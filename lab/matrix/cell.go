package matrix

import (
	"fmt"
	"time"

	"github.com/upcheck/upcheck/suites/report"
)

// Cell is one requirement of one implementation: the report's own cell,
// which its HTML page renders.
type Cell = report.Cell

// Cell returns the column's cell for requirement id. A skipped column's
// cells are skip, with the reason; those of a column whose run failed are
// error.
func (c Column) Cell(id string) Cell {
	switch {
	case c.Skipped != "":
		return Cell{Status: report.Skip, Observed: "not checked: " + c.Skipped}
	case c.Err != "":
		return Cell{Status: report.Error, Observed: "not judged: " + c.Err}
	case c.Report == nil:
		return Cell{Status: report.Error, Observed: "not judged: no report"}
	}
	return c.Report.Cell(id)
}

// Summary is the column's last line: the report's "N passed, N failed",
// or why there is no report.
func (c Column) Summary() string {
	switch {
	case c.Skipped != "":
		return "skipped: " + c.Skipped
	case c.Err != "":
		return "error: " + c.Err
	case c.Report == nil:
		return "error: no report"
	case c.Report.HarnessError != "":
		return "harness error: " + c.Report.HarnessError
	}
	return c.Report.Summary()
}

// SuiteTime is the wall time of the column's run of the suites, "12.3 s",
// or "-" when it made none (skipped, or its run could not be made). It is
// a figure to compare, never judged.
func (c Column) SuiteTime() string {
	if c.Skipped != "" || c.Elapsed <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", c.Elapsed.Round(100*time.Millisecond).Seconds())
}
