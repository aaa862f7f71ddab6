package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
)

func TestReportHTML(t *testing.T) {
	r := Build(waivedSuite(), `command: srv <x> & "y"`)
	r.Expect(map[string]string{"TCP-EOF": "resets <on> a half-close"})
	r.Notes = []string{"the target did not stop cleanly"}
	b, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Error("not a whole HTML document")
	}
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "src=", "@import", "url(", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q: it must be self-contained", bad)
		}
	}
	for _, want := range []string{
		"<title>upcheck conformance report</title>",
		"<p>target: command: srv &lt;x&gt; &amp; &#34;y&#34;</p>",
		"<p>seed: 4242</p>",
		"<p>harness note: the target did not stop cleanly</p>",
		`<th class="impl" title="">status</th>`,
		"<dt>expected failure</dt><dd>resets &lt;on&gt; a half-close</dd>",
		"<td>16 passed, 0 failed, 1 failed as expected (TCP-EOF), 1 not judged (TCP-STREAM), 0 skipped</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "Commands") {
		t.Error("a single report lists no commands")
	}
	cells := regexp.MustCompile(`<td class="([a-z-]+)"`).FindAllStringSubmatch(page, -1)
	if len(cells) != len(check.Requirements) {
		t.Fatalf("%d cells, want one per requirement", len(cells))
	}
	for i, c := range cells {
		if want := string(r.Requirements[i].Status); c[1] != want {
			t.Errorf("%s cell is %q, want %q", r.Requirements[i].ID, c[1], want)
		}
	}
	// Every status has a colour and a legend entry.
	for _, s := range Statuses {
		if !strings.Contains(page, "."+string(s)) || !strings.Contains(page, `<span class="`+string(s)+`">`) {
			t.Errorf("status %s has no style or legend", s)
		}
	}
}

func TestHTMLGrid(t *testing.T) {
	// A column short of cells gets error cells rather than a broken row.
	b, err := HTML(Grid{Title: "m", Columns: []Column{{Name: "a", Command: "srv {tcp}"}}, Commands: "Commands:"})
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if n := strings.Count(page, `<td class="error"`); n != len(check.Requirements) {
		t.Errorf("%d error cells, want %d", n, len(check.Requirements))
	}
	if !strings.Contains(page, "<li><b>a</b>: <code>srv {tcp}</code></li>") {
		t.Error("no list of commands")
	}
}

func TestCellTitle(t *testing.T) {
	c := Cell{Status: XFail, Specs: 2, Observed: "reset", Reason: "known"}
	if got, want := c.Title(), "xfail (2 specs)\nobserved: reset\nexpected failure: known"; got != want {
		t.Errorf("Title() = %q, want %q", got, want)
	}
	if (Cell{Status: Pass}).HasDetail() || !c.HasDetail() {
		t.Error("HasDetail wrong")
	}
	r := Report{Requirements: []Requirement{{ID: "TCP-EOF", Status: Pass}}}
	if got := r.Cell("UDP-ONCE"); got.Status != Error || got.Observed != "not judged: the report has no UDP-ONCE" {
		t.Errorf("Cell of a missing requirement = %+v", got)
	}
}
