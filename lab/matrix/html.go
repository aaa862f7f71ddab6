package matrix

import (
	"bytes"
	"html/template"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// HTML renders the matrix as one self-contained HTML page: a table with
// one row per requirement and one column per implementation, each cell
// coloured by its status, with the observed and expected behaviour and the
// evidence on hover (the title) and in a <details> that opens on a click.
// The page has inline CSS only: no script, nothing from the network.
func HTML(cols []Column) ([]byte, error) {
	type row struct {
		Req   check.Requirement
		Cells []Cell
	}
	var rows []row
	for _, req := range check.Requirements {
		r := row{Req: req}
		for _, c := range cols {
			r.Cells = append(r.Cells, c.Cell(req.ID))
		}
		rows = append(rows, r)
	}
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		Cols    []Column
		Rows    []row
		Version string
	}{cols, rows, report.Version()})
	return b.Bytes(), err
}

var page = template.Must(template.New("matrix").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>upcheck conformance matrix</title>
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
.fail { background: #ffebe9; color: #a40e26; font-weight: 600; }
.skip { background: #eff2f5; color: #59636e; }
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
<h1>upcheck conformance matrix</h1>
<p>Rows are the requirements of SEMANTICS.md, columns the implementations checked. Hover over a cell for what was observed; click it for the details.</p>
<p class="legend"><span class="pass">pass</span><span class="fail">fail</span><span class="skip">skip</span><span class="error">error</span> (error: the harness could not judge)</p>
<table>
<thead>
<tr>
<th class="req">requirement</th>
{{- range .Cols}}
<th class="impl" title="{{.Command}}">{{.Name}}{{if .Note}}<small>{{.Note}}</small>{{end}}{{if .ReportFile}}<a href="{{.ReportFile}}">report</a>{{end}}</th>
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
{{- if .Evidence}}<dt>evidence</dt><dd>{{.Evidence}}</dd>{{end -}}
</dl></details>{{else}}{{.Status}}{{end -}}
</td>
{{- end}}
</tr>
{{- end}}
</tbody>
<tfoot>
<tr>
<th class="req">summary</th>
{{- range .Cols}}
<td>{{.Summary}}</td>
{{- end}}
</tr>
<tr>
<th class="req" title="wall time of each implementation's run of the suites">suite time</th>
{{- range .Cols}}
<td>{{.SuiteTime}}</td>
{{- end}}
</tr>
</tfoot>
</table>
<p style="margin-top:12px">Commands (run from the module root, {tcp} and {udp} filled in by the harness):</p>
<ul>
{{- range .Cols}}
<li><b>{{.Name}}</b>: <code>{{.Command}}</code></li>
{{- end}}
</ul>
<p>upcheck {{.Version}}</p>
</body>
</html>
`))
