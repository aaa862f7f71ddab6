package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/upcheck/upcheck/suites/check"
)

// Cell is one requirement of one implementation, as an HTML page shows it.
type Cell struct {
	Status Status
	// Specs is how many specs judged the requirement.
	Specs int
	// Observed, Expected and Evidence are the report's texts: what came
	// back, what the rule wanted, and where (spec, case, seed); Reason is
	// why a failure was expected.
	Observed, Expected, Evidence, Reason string
}

// Cell returns the report's cell for requirement id: an error cell when
// the report has no such requirement.
func (r Report) Cell(id string) Cell {
	for _, q := range r.Requirements {
		if q.ID == id {
			return Cell{Status: q.Status, Specs: q.Specs, Observed: q.Observed, Expected: q.Expected, Evidence: q.Evidence, Reason: q.Reason}
		}
	}
	return Cell{Status: Error, Observed: "not judged: the report has no " + id}
}

// Title is the cell's text on hover: its status and, when it has them,
// what was observed and expected, the evidence and the reason of an
// expected failure, one to a line.
func (c Cell) Title() string {
	lines := []string{string(c.Status)}
	if c.Specs > 0 {
		lines[0] += fmt.Sprintf(" (%d specs)", c.Specs)
	}
	for _, kv := range c.texts() {
		lines = append(lines, kv[0]+": "+kv[1])
	}
	return strings.Join(lines, "\n")
}

// Details are the cell's texts that are set, as (name, text) pairs.
func (c Cell) texts() [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{{"observed", c.Observed}, {"expected", c.Expected}, {"evidence", c.Evidence}, {"expected failure", c.Reason}} {
		if kv[1] != "" {
			out = append(out, kv)
		}
	}
	return out
}

// HasDetail reports whether the cell has more to say than its status.
func (c Cell) HasDetail() bool { return len(c.texts()) > 0 }

// Grid is what an HTML page shows: one row per requirement of
// check.Requirements, one column per implementation checked.
type Grid struct {
	// Title heads the page.
	Title string
	// Intro holds the lines under the title.
	Intro []string
	// Columns are the implementations, left to right.
	Columns []Column
	// Commands, when set, introduces a list of the columns' commands
	// under the table.
	Commands string
}

// Timed reports whether a column of g has a suite time, so that the page
// gives the row.
func (g Grid) Timed() bool {
	for _, c := range g.Columns {
		if c.Time != "" {
			return true
		}
	}
	return false
}

// Column is one implementation on an HTML page.
type Column struct {
	// Name heads the column; Note and a link to its report (Link, a
	// relative path) go under it; Command is its title on hover.
	Name, Note, Link, Command string
	// Cells are its cells, one per requirement of check.Requirements, in
	// that order.
	Cells []Cell
	// Summary is its last line: "N passed, N failed" and the like, or why
	// there is no report.
	Summary string
	// Time, when set, is how long its run of the suites took ("12.3 s"),
	// shown on a row of its own under the summaries: a figure, never
	// judged.
	Time string
}

// Column returns the report as a column named name, summed up as Line
// does.
func (r Report) Column(name string) Column {
	c := Column{Name: name, Summary: strings.TrimPrefix(r.Line(""), "upcheck: ")}
	for _, req := range check.Requirements {
		c.Cells = append(c.Cells, r.Cell(req.ID))
	}
	return c
}

// HTML returns the report as one self-contained HTML page (the matrix's
// page with one column): target, seed and version on top, a row per
// requirement with its status, the observed and expected behaviour and
// the evidence on hover and in a <details> that opens on a click.
func (r Report) HTML() ([]byte, error) {
	intro := []string{"target: " + r.Target, fmt.Sprintf("seed: %d", r.Seed), "version: " + r.Version}
	if r.HarnessError != "" {
		intro = append(intro, "harness error: "+r.HarnessError)
	}
	for _, n := range r.Notes {
		intro = append(intro, "harness note: "+n)
	}
	intro = append(intro, "Hover over a cell for what was observed; click it for the details.")
	return HTML(Grid{Title: "upcheck conformance report", Intro: intro, Columns: []Column{r.Column("status")}})
}

// HTML renders g as one self-contained HTML page: a table with one row per
// requirement and one column per implementation, each cell coloured by
// its status. The page has inline CSS only: no script, nothing from the
// network; every text is escaped.
func HTML(g Grid) ([]byte, error) {
	type row struct {
		Req   check.Requirement
		Cells []Cell
	}
	var rows []row
	for i, req := range check.Requirements {
		r := row{Req: req}
		for _, c := range g.Columns {
			cell := Cell{Status: Error, Observed: "not judged: no cell for " + req.ID}
			if i < len(c.Cells) {
				cell = c.Cells[i]
			}
			r.Cells = append(r.Cells, cell)
		}
		rows = append(rows, r)
	}
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		Grid
		Rows     []row
		Statuses []Status
		Version  string
	}{g, rows, Statuses, Version()})
	if err != nil {
		return nil, fmt.Errorf("report: html: %w", err)
	}
	return b.Bytes(), nil
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
p { margin: 0 0 12px; color: #59636e; }
.legend span { display: inline-block; padding: 1px 10px; margin-right: 6px; border-radius: 3px; }
table { border-collapse: collapse; margin-top: 8px; }
th, td { border: 1px solid #d1d9e0; padding: 4px 8px; vertical-align: top; }
thead th { background: #f6f8fa; position: sticky; top: 0; z-index: 1; }
th.impl { text-align: center; min-width: 7em; max-width: 12em; }
th.impl small, th.req small { display: block; font-weight: normal; color: #59636e; font-size: 12px; }
th.impl a { font-weight: normal; font-size: 12px; }
th.req { text-align: left; white-space: nowrap; min-width: 22em; }
th.req small { white-space: normal; max-width: 30em; }
td { text-align: center; min-width: 5em; }
.pass { background: #dafbe1; color: #116329; }
.fail, .xpass { background: #ffebe9; color: #a40e26; font-weight: 600; }
.xfail { background: #fbefff; color: #6e40c9; }
.skip, .not-judged { background: #eff2f5; color: #59636e; }
.error { background: #fff8c5; color: #7d4e00; font-weight: 600; }
details { text-align: left; }
summary { cursor: pointer; text-align: center; }
details[open] { min-width: 20em; max-width: 32em; }
dl { margin: 6px 0 0; font-weight: normal; color: #1f2328; font-size: 12px; }
dt { font-weight: 600; }
dd { margin: 0 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
tfoot td { background: #f6f8fa; color: #1f2328; font-size: 12px; font-weight: normal; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- range .Intro}}
<p>{{.}}</p>
{{- end}}
<p class="legend">{{range .Statuses}}<span class="{{.}}">{{.}}</span>{{end}} (xfail: failed as expected; xpass: an expected failure that passed; error: the harness could not judge)</p>
<table>
<thead>
<tr>
<th class="req">requirement</th>
{{- range .Columns}}
<th class="impl" title="{{.Command}}">{{.Name}}{{if .Note}}<small>{{.Note}}</small>{{end}}{{if .Link}}<a href="{{.Link}}">report</a>{{end}}</th>
{{- end}}
</tr>
</thead>
<tbody>
{{- range .Rows}}
<tr>
<th class="req" id="{{.Req.ID}}" title="{{.Req.Rule}}">{{.Req.ID}} <small>{{.Req.Level}}: {{.Req.Rule}}</small></th>
{{- range .Cells}}
<td class="{{.Status}}" title="{{.Title}}">
{{- if .HasDetail}}<details><summary>{{.Status}}</summary><dl>
{{- if .Observed}}<dt>observed</dt><dd>{{.Observed}}</dd>{{end}}
{{- if .Expected}}<dt>expected</dt><dd>{{.Expected}}</dd>{{end}}
{{- if .Evidence}}<dt>evidence</dt><dd>{{.Evidence}}</dd>{{end}}
{{- if .Reason}}<dt>expected failure</dt><dd>{{.Reason}}</dd>{{end -}}
</dl></details>{{else}}{{.Status}}{{end -}}
</td>
{{- end}}
</tr>
{{- end}}
</tbody>
<tfoot>
<tr>
<th class="req">summary</th>
{{- range .Columns}}
<td>{{.Summary}}</td>
{{- end}}
</tr>
{{- if .Timed}}
<tr>
<th class="req" title="wall time of each implementation's run of the suites">suite time</th>
{{- range .Columns}}
<td>{{.Time}}</td>
{{- end}}
</tr>
{{- end}}
</tfoot>
</table>
{{- if .Commands}}
<p style="margin-top:12px">{{.Commands}}</p>
<ul>
{{- range .Columns}}
<li><b>{{.Name}}</b>: <code>{{.Command}}</code></li>
{{- end}}
</ul>
{{- end}}
<p>upcheck {{.Version}}</p>
</body>
</html>
`))
