package report

import (
	"fmt"
	"strings"

	"github.com/upcheck/upcheck/suites/check"
)

// Markdown returns the report as the Markdown a person reads: the target,
// seed and version, a table with one row per requirement (observed and
// expected for failures and observations), the evidence of each failure,
// any harness error, and last the line "N passed, N failed" (with
// ", N skipped" when any were skipped). Requirements the harness could not
// judge, and those not judged because another failed, are counted on
// lines of their own, before it, so that the last line keeps its fixed
// form.
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# upcheck conformance report\n\n")
	fmt.Fprintf(&b, "- target: %s\n- seed: %d\n- version: %s\n\n", cell(r.Target), r.Seed, r.Version)
	b.WriteString("| ID | level | status | specs | observed | expected |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, q := range r.Requirements {
		obs, exp := q.Observed, q.Expected
		st := status(q.Status)
		switch {
		case q.Status == Error && r.HarnessError != "":
			obs, exp = "not judged", ""
		case q.Status == Skip:
			exp = ""
		case q.Level == check.Info && q.Status == Pass:
			// An observation, not a verdict: no rule to hold it against.
			st, exp = "info", ""
			if obs != "" {
				obs = "seen: " + obs
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s |\n", q.ID, q.Level, st, q.Specs, cell(obs), cell(exp))
	}
	var ev []string
	for _, q := range r.Requirements {
		if q.Evidence != "" && (q.Status == Fail || q.Status == XFail || q.Status == Error || q.Status == NotJudged) {
			ev = append(ev, fmt.Sprintf("- %s: %s\n", q.ID, strings.ReplaceAll(q.Evidence, "\n", "\n  ")))
		}
	}
	if len(ev) > 0 {
		b.WriteString("\nEvidence:\n\n")
		b.WriteString(strings.Join(ev, ""))
	}
	if r.HarnessError != "" {
		fmt.Fprintf(&b, "\nHarness error: %s\n", r.HarnessError)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nHarness note: %s\n", n)
	}
	var reasons []string
	for _, q := range r.Requirements {
		if q.Reason != "" {
			reasons = append(reasons, fmt.Sprintf("- %s (%s): %s\n", q.ID, q.Status, cell(q.Reason)))
		}
	}
	if len(reasons) > 0 {
		b.WriteString("\nExpected failures:\n\n")
		b.WriteString(strings.Join(reasons, ""))
	}
	c := r.Counts()
	b.WriteString("\n")
	if c[Error] > 0 {
		fmt.Fprintf(&b, "%d not judged (harness error)\n", c[Error])
	}
	if c[NotJudged] > 0 {
		fmt.Fprintf(&b, "%d not judged (another requirement failed)\n", c[NotJudged])
	}
	if c[XFail] > 0 {
		fmt.Fprintf(&b, "%d failed as expected\n", c[XFail])
	}
	for _, x := range r.XPasses() {
		fmt.Fprintf(&b, "%s\n", x)
	}
	b.WriteString(r.Summary())
	b.WriteString("\n")
	return b.String()
}

// Summary returns the report's last line: "N passed, N failed", followed
// by ", N skipped" when any requirement was skipped.
func (r Report) Summary() string {
	c := r.Counts()
	s := fmt.Sprintf("%d passed, %d failed", c[Pass], c[Fail])
	if c[Skip] > 0 {
		s += fmt.Sprintf(", %d skipped", c[Skip])
	}
	return s
}

// status marks a failure so it stands out in the table.
func status(s Status) string {
	switch s {
	case Fail, XPass, Error:
		return "**" + string(s) + "**"
	}
	return string(s)
}

// cell makes s safe inside a Markdown table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "<br>")
}
