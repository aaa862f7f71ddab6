package matrix

import (
	"fmt"
	"strings"
	"time"

	"github.com/upcheck/upcheck/suites/report"
)

// Cell is one requirement of one implementation.
type Cell struct {
	Status report.Status
	// Specs is how many specs judged the requirement.
	Specs int
	// Observed, Expected and Evidence are the report's texts: what came
	// back, what the rule wanted, and where (spec, case, seed).
	Observed, Expected, Evidence string
}

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
	for _, q := range c.Report.Requirements {
		if q.ID == id {
			return Cell{Status: q.Status, Specs: q.Specs, Observed: q.Observed, Expected: q.Expected, Evidence: q.Evidence}
		}
	}
	return Cell{Status: report.Error, Observed: "not judged: the report has no " + id}
}

// Title is the cell's text on hover: its status and, when it has them,
// what was observed and expected and the evidence, one to a line.
func (c Cell) Title() string {
	lines := []string{string(c.Status)}
	if c.Specs > 0 {
		lines[0] += fmt.Sprintf(" (%d specs)", c.Specs)
	}
	for _, kv := range [][2]string{{"observed", c.Observed}, {"expected", c.Expected}, {"evidence", c.Evidence}} {
		if kv[1] != "" {
			lines = append(lines, kv[0]+": "+kv[1])
		}
	}
	return strings.Join(lines, "\n")
}

// HasDetail reports whether the cell has more to say than its status.
func (c Cell) HasDetail() bool {
	return c.Observed != "" || c.Expected != "" || c.Evidence != ""
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
