package matrix

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// hostile is an observation with every character HTML and Markdown treat
// specially.
const hostile = `got <script>alert("x")</script> & 'more' | *bold* [link](http://x)`

// sampleColumns are a passing, a failing, a skipped and an errored
// implementation.
func sampleColumns() []Column {
	pass := &report.Report{}
	fail := &report.Report{Notes: []string{"the run was interrupted after 3 s"}}
	for _, req := range check.Requirements {
		pass.Requirements = append(pass.Requirements, report.Requirement{ID: req.ID, Level: req.Level, Status: report.Pass, Specs: 2})
		q := report.Requirement{ID: req.ID, Level: req.Level, Status: report.Pass, Specs: 1}
		if req.ID == "TCP-BYTES" {
			q.Status, q.Observed, q.Expected, q.Evidence = report.Fail, hostile, "upper(request) <&>", "offset 0; seed 1"
		}
		if req.ID == "UDP-ONCE" {
			q.Status, q.Observed = report.Error, "not judged: gone"
		}
		fail.Requirements = append(fail.Requirements, q)
	}
	return []Column{
		{Implementation: Implementation{Name: "reference", Command: "bin/upperd -tcp {tcp}", Note: "Go"}, Report: pass, ReportFile: "matrix/reference.md", Elapsed: 12340 * time.Millisecond},
		{Implementation: Implementation{Name: "broken<b>", Command: "x & y"}, Report: fail, ReportFile: "matrix/broken.md", Elapsed: 175 * time.Second},
		{Implementation: Implementation{Name: "python", Command: "python3 s.py", Requires: []string{"python3"}}, Skipped: "python3 is not on PATH"},
		{Implementation: Implementation{Name: "ghost", Command: "ghost"}, Err: "suiterun: no conformance report"},
	}
}

func TestCell(t *testing.T) {
	cols := sampleColumns()
	for _, tc := range []struct {
		col    int
		id     string
		status report.Status
		obs    string
	}{
		{0, "TCP-EOF", report.Pass, ""},
		{1, "TCP-BYTES", report.Fail, hostile},
		{1, "UDP-ONCE", report.Error, "not judged: gone"},
		{2, "TCP-EOF", report.Skip, "not checked: python3 is not on PATH"},
		{3, "TCP-EOF", report.Error, "not judged: suiterun: no conformance report"},
		{0, "NO-SUCH-ID", report.Error, "not judged: the report has no NO-SUCH-ID"},
	} {
		c := cols[tc.col].Cell(tc.id)
		if c.Status != tc.status || c.Observed != tc.obs {
			t.Errorf("%s %s = %+v, want %s %q", cols[tc.col].Name, tc.id, c, tc.status, tc.obs)
		}
	}
	title := cols[1].Cell("TCP-BYTES").Title()
	if want := "fail (1 specs)\nobserved: " + hostile + "\nexpected: upper(request) <&>\nevidence: offset 0; seed 1"; title != want {
		t.Errorf("Title = %q, want %q", title, want)
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown(sampleColumns())
	lines := strings.Split(md, "\n")
	header := "| requirement | level | reference | broken&lt;b&gt; | python | ghost |"
	if !strings.Contains(md, header+"\n| --- | --- | --- | --- | --- | --- |\n") {
		t.Errorf("no header %q in\n%s", header, md)
	}
	for _, req := range check.Requirements {
		prefix := "| " + req.ID + " | " + string(req.Level) + " |"
		var row string
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				row = l
			}
		}
		if row == "" {
			t.Errorf("no row for %s", req.ID)
			continue
		}
		want := " pass | pass | skip | **error** |"
		switch req.ID {
		case "TCP-BYTES":
			want = " pass | **fail** | skip | **error** |"
		case "UDP-ONCE":
			want = " pass | **error** | skip | **error** |"
		}
		if row != prefix+want {
			t.Errorf("row %q, want %q", row, prefix+want)
		}
	}
	for _, want := range []string{
		"| | | 18 passed, 0 failed | 16 passed, 1 failed, 1 not judged | skipped: python3 is not on PATH | error: suiterun: no conformance report |\n| suite time | | 12.3 s | 175.0 s | - | - |\n",
		"  - skipped: python3 is not on PATH",
		"  - report: [matrix/broken.md](matrix/broken.md), 2m55s\n  - harness note: the run was interrupted after 3 s\n",
		"- broken&lt;b&gt;, TCP-BYTES (fail): observed got &lt;script&gt;alert(\"x\")&lt;/script&gt; & 'more' \\| \\*bold\\* \\[link\\](http://x);",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}

func TestHTML(t *testing.T) {
	cols := sampleColumns()
	b, err := HTML(cols)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Error("not a whole HTML document")
	}
	// Self-contained: no script, no stylesheet or image fetched, nothing
	// from the network.
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`href="[a-z]+:`).FindString(page); m != "" {
		t.Errorf("the page links out of its directory: %s", m)
	}
	// One row per requirement, one cell per column in each.
	tbody := between(page, "<tbody>", "</tbody>")
	rows := strings.Split(tbody, "<tr>")[1:]
	if len(rows) != len(check.Requirements) {
		t.Fatalf("%d rows, want %d", len(rows), len(check.Requirements))
	}
	for i, req := range check.Requirements {
		if !strings.Contains(rows[i], `id="`+req.ID+`"`) {
			t.Errorf("row %d is not %s", i, req.ID)
		}
		if n := strings.Count(rows[i], "<td "); n != len(cols) {
			t.Errorf("row %s has %d cells, want %d", req.ID, n, len(cols))
		}
	}
	// One header per column, the names escaped.
	thead := between(page, "<thead>", "</thead>")
	if n := strings.Count(thead, `<th class="impl"`); n != len(cols) {
		t.Errorf("%d column headers, want %d", n, len(cols))
	}
	if !strings.Contains(thead, "broken&lt;b&gt;") {
		t.Errorf("column name not escaped: %s", thead)
	}
	// The failing cell: coloured, its texts escaped in the title and in
	// the details.
	bytesRow := rows[1]
	cells := regexp.MustCompile(`<td class="(\w+)"`).FindAllStringSubmatch(bytesRow, -1)
	var classes []string
	for _, c := range cells {
		classes = append(classes, c[1])
	}
	if strings.Join(classes, " ") != "pass fail skip error" {
		t.Errorf("TCP-BYTES cells are %v, want pass fail skip error", classes)
	}
	for _, want := range []string{
		`<dd>got &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;more&#39; | *bold* [link](http://x)</dd>`,
		`<dd>upper(request) &lt;&amp;&gt;</dd>`,
		"title=\"fail (1 specs)\nobserved: got &lt;script&gt;",
	} {
		if !strings.Contains(bytesRow, want) {
			t.Errorf("TCP-BYTES row lacks %q:\n%s", want, bytesRow)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "broken<b>") {
		t.Error("observed text is not escaped")
	}
	// The summary row and the skip reason.
	tfoot := between(page, "<tfoot>", "</tfoot>")
	for _, want := range []string{"18 passed, 0 failed", "16 passed, 1 failed, 1 not judged", "skipped: python3 is not on PATH", "error: suiterun: no conformance report"} {
		if !strings.Contains(tfoot, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if !strings.Contains(tfoot, "<th class=\"req\" title=\"wall time of each implementation's run of the suites\">suite time</th>\n<td>12.3 s</td>\n<td>175.0 s</td>\n<td>-</td>\n<td>-</td>\n</tr>") {
		t.Errorf("no suite time row:\n%s", tfoot)
	}
	if !strings.Contains(thead, `<a href="matrix/reference.md">report</a>`) {
		t.Error("no link to the reference's report")
	}
}

// between returns the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(after, end)
	return in
}
