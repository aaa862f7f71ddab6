package matrix

import (
	"fmt"
	"strings"
	"time"

	"github.com/upcheck/upcheck/suites/report"
)

// Column is what the matrix knows of one implementation.
type Column struct {
	Implementation
	// Skipped, when set, says why the implementation was not checked.
	Skipped string
	// Err, when set, says why its run could not be made or read.
	Err string
	// Report is its conformance report; nil when skipped or on Err.
	Report *report.Report
	// ReportFile is its Markdown report, relative to the matrix's own
	// files (a slash-separated path for a link); "" when there is none.
	ReportFile string
	// Elapsed is how long its run took; 0 when the matrix did not run it
	// (a report made elsewhere).
	Elapsed time.Duration
}

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

// Summary is the column's last line: the report's "N passed, N failed"
// with its expected failures, unexpected passes and requirements not
// judged (not-judged or error), or why there is no verdict.
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
	s := c.Report.Summary()
	n := c.Report.Counts()
	if n[report.XFail] > 0 {
		s += fmt.Sprintf(", %d failed as expected", n[report.XFail])
	}
	if n[report.XPass] > 0 {
		s += fmt.Sprintf(", %d passed unexpectedly", n[report.XPass])
	}
	if x := n[report.NotJudged] + n[report.Error]; x > 0 {
		s += fmt.Sprintf(", %d not judged", x)
	}
	return s
}

// SuiteTime is the wall time of the column's run of the suites, "12.3 s",
// or "-" when it made none (skipped, its run could not be made, or its
// report was made elsewhere). It is a figure to compare, never judged.
func (c Column) SuiteTime() string {
	if c.Skipped != "" || c.Elapsed <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", c.Elapsed.Round(100*time.Millisecond).Seconds())
}

// Target is what the column checked: its command, or, for a report made
// elsewhere, the report's target ("command: ...", "tcp host:port").
func (c Column) Target() string {
	if c.Command == "" && c.Report != nil {
		return c.Report.Target
	}
	return c.Command
}

// ExitStatus is the column's verdict by the exit statuses of CONTRACT.md
// (report.Report.ExitStatus): report.ExitPass, ExitFail or ExitHarness;
// report.ExitHarness too when there is no report. A skipped column has
// none: ok is false.
func (c Column) ExitStatus() (code int, ok bool) {
	switch {
	case c.Skipped != "":
		return 0, false
	case c.Err != "" || c.Report == nil:
		return report.ExitHarness, true
	}
	return c.Report.ExitStatus(), true
}

// ExitStatus is the matrix's verdict: report.ExitFail when an
// implementation failed a MUST requirement it was not expected to fail, or
// passed one it was (xpass); else report.ExitHarness when one could not be
// judged (no report, a harness error, a requirement in error); else
// report.ExitPass. Skipped implementations count for nothing: their
// requirements say they are optional.
func ExitStatus(cols []Column) int {
	code := report.ExitPass
	for _, c := range cols {
		switch x, ok := c.ExitStatus(); {
		case !ok:
		case x == report.ExitFail:
			return x
		case x == report.ExitHarness:
			code = x
		}
	}
	return code
}

// Line is the matrix's one-line summary for standard error: how many
// implementations passed, failed, could not be judged and were skipped,
// naming all but those that passed.
//
//	upcheck matrix: 3 implementations: 1 passed, 1 failed (echo), 0 not judged, 1 skipped (node)
func Line(cols []Column) string {
	var passed, failed, errored, skipped []string
	for _, c := range cols {
		x, ok := c.ExitStatus()
		switch {
		case !ok:
			skipped = append(skipped, c.Name)
		case x == report.ExitPass:
			passed = append(passed, c.Name)
		case x == report.ExitFail:
			failed = append(failed, c.Name)
		default:
			errored = append(errored, c.Name)
		}
	}
	named := func(what string, names []string) string {
		s := fmt.Sprintf("%d %s", len(names), what)
		if len(names) > 0 {
			s += " (" + strings.Join(names, ", ") + ")"
		}
		return s
	}
	impls := "implementations"
	if len(cols) == 1 {
		impls = "implementation"
	}
	return fmt.Sprintf("upcheck matrix: %d %s: %d passed, %s, %s, %s",
		len(cols), impls, len(passed), named("failed", failed), named("not judged", errored), named("skipped", skipped))
}
