package matrix

import (
	"fmt"
	"strings"
	"time"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// Markdown renders the matrix as a Markdown table, one row per
// requirement and one column per implementation, with each column's
// summary under it and, when the matrix ran any, the suite times; then
// the implementations' commands (or the targets of reports made
// elsewhere), notes, reports and harness notes, and the texts of every failure (one
// line for a report with a harness error).
func Markdown(cols []Column) string {
	var b strings.Builder
	b.WriteString("# upcheck conformance matrix\n\n")
	b.WriteString("| requirement | level |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", mdText(c.Name))
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(cols)) + "\n")
	for _, req := range check.Requirements {
		fmt.Fprintf(&b, "| %s | %s |", req.ID, req.Level)
		for _, c := range cols {
			fmt.Fprintf(&b, " %s |", mdStatus(c.Cell(req.ID).Status))
		}
		b.WriteString("\n")
	}
	b.WriteString("| | |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", mdText(c.Summary()))
	}
	if timed(cols) {
		b.WriteString("\n| suite time | |")
		for _, c := range cols {
			fmt.Fprintf(&b, " %s |", c.SuiteTime())
		}
	}
	b.WriteString("\n\n## Implementations\n\n")
	for _, c := range cols {
		fmt.Fprintf(&b, "- **%s**", mdText(c.Name))
		if c.Note != "" {
			fmt.Fprintf(&b, ": %s", mdText(c.Note))
		}
		if c.Command != "" {
			fmt.Fprintf(&b, "\n  - command: `%s`\n", strings.ReplaceAll(c.Command, "`", "'"))
		} else {
			fmt.Fprintf(&b, "\n  - target: %s\n", mdText(c.Target()))
		}
		switch {
		case c.Skipped != "":
			fmt.Fprintf(&b, "  - skipped: %s\n", mdText(c.Skipped))
		case c.Err != "":
			fmt.Fprintf(&b, "  - error: %s\n", mdText(c.Err))
		case c.ReportFile != "" && c.Elapsed > 0:
			fmt.Fprintf(&b, "  - report: [%s](%s), %s\n", c.ReportFile, c.ReportFile, c.Elapsed.Round(100*time.Millisecond))
		case c.ReportFile != "":
			fmt.Fprintf(&b, "  - report: [%s](%s)\n", c.ReportFile, c.ReportFile)
		}
		if c.Report != nil {
			for _, n := range c.Report.Notes {
				fmt.Fprintf(&b, "  - harness note: %s\n", mdText(n))
			}
		}
	}
	var fails []string
	for _, c := range cols {
		if c.Report != nil && c.Report.HarnessError != "" {
			fails = append(fails, fmt.Sprintf("- %s: harness error: %s\n", mdText(c.Name), mdText(c.Report.HarnessError)))
			continue
		}
		for _, req := range check.Requirements {
			cell := c.Cell(req.ID)
			if cell.Status != report.Fail && cell.Status != report.XPass && !(cell.Status == report.Error && c.Report != nil) {
				continue
			}
			fails = append(fails, fmt.Sprintf("- %s, %s (%s): observed %s; expected %s; %s\n",
				mdText(c.Name), req.ID, cell.Status, mdText(cell.Observed), mdText(cell.Expected), mdText(cell.Evidence)))
		}
	}
	if len(fails) > 0 {
		b.WriteString("\n## Failures\n\n")
		b.WriteString(strings.Join(fails, ""))
	}
	return b.String()
}

// mdStatus marks the statuses that need a look.
func mdStatus(s report.Status) string {
	switch s {
	case report.Fail, report.XPass, report.Error:
		return "**" + string(s) + "**"
	}
	return string(s)
}

// timed reports whether the matrix ran any of its columns, so that it
// has suite times to show.
func timed(cols []Column) bool {
	for _, c := range cols {
		if c.Elapsed > 0 {
			return true
		}
	}
	return false
}

// mdText makes s one line of Markdown text whose markup characters show
// as themselves.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "|", `\|`)
	return r.Replace(s)
}
