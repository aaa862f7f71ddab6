package matrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/report"
)

// writeReports writes each report as dir/NAME.json with its Markdown and
// HTML twins, as upcheck check --report does.
func writeReports(t *testing.T, dir string, reps map[string]report.Report) {
	t.Helper()
	for name, r := range reps {
		if _, _, err := report.Write(filepath.Join(dir, name+".json"), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFromDir(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "reports")
	xfail := fakeReport("command: ./known", "TCP-EOF")
	xfail.Expect(map[string]string{"TCP-EOF": "resets on a half-close"})
	writeReports(t, in, map[string]report.Report{
		"reference": fakeReport("reference servers (in process)"),
		"echo":      fakeReport("command: python3 echo.py {tcp}", "TCP-BYTES"),
		"known":     xfail,
	})
	// What a directory of a CI's artifacts or of make matrix may also
	// hold: left out.
	for name, body := range map[string]string{"echo.log": "log", "x.ginkgo.json": "[]", "notes.txt": "x"} {
		if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(in, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	cols, err := FromDir(in, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "echo known reference" {
		t.Fatalf("columns %v, want echo known reference", names)
	}
	echo, known, ref := cols[0], cols[1], cols[2]
	if c := echo.Cell("TCP-BYTES"); c.Status != report.Fail || c.Observed != "observed TCP-BYTES" {
		t.Errorf("echo TCP-BYTES = %+v", c)
	}
	if c := known.Cell("TCP-EOF"); c.Status != report.XFail || c.Reason != "resets on a half-close" {
		t.Errorf("known TCP-EOF = %+v", c)
	}
	if echo.ReportFile != "../reports/echo.md" || echo.Target() != "command: python3 echo.py {tcp}" || echo.Elapsed != 0 {
		t.Errorf("echo = %+v", echo)
	}
	if got := known.Summary(); got != "17 passed, 0 failed, 1 failed as expected" {
		t.Errorf("known's summary = %q", got)
	}
	if ExitStatus(cols) != report.ExitFail || ExitStatus([]Column{known, ref}) != report.ExitPass {
		t.Errorf("exit statuses %d and %d, want 1 and 0", ExitStatus(cols), ExitStatus([]Column{known, ref}))
	}

	md := Markdown(cols)
	for _, want := range []string{
		"| requirement | level | echo | known | reference |",
		"| TCP-BYTES | MUST | **fail** | pass | pass |",
		"| TCP-EOF | MUST | pass | xfail | pass |",
		"  - target: command: python3 echo.py {tcp}\n  - report: [../reports/echo.md](../reports/echo.md)\n",
		"- echo, TCP-BYTES (fail): observed observed TCP-BYTES; expected expected TCP-BYTES;",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "suite time") {
		t.Errorf("a matrix of reports made elsewhere shows suite times:\n%s", md)
	}
	page, err := HTML(cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<a href="../reports/echo.md">report</a>`, "<code>command: python3 echo.py {tcp}</code>", "17 passed, 0 failed, 1 failed as expected"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(string(page), "suite time") {
		t.Error("the HTML of reports made elsewhere shows suite times")
	}
}

func TestFromDirRejects(t *testing.T) {
	empty := t.TempDir()
	withSub := t.TempDir()
	if err := os.Mkdir(filepath.Join(withSub, "upcheck-python"), 0o755); err != nil {
		t.Fatal(err)
	}
	notReport := t.TempDir()
	writeReports(t, notReport, map[string]report.Report{"good": fakeReport("x")})
	if err := os.WriteFile(filepath.Join(notReport, "package.json"), []byte(`{"name": "server"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	badJSON := t.TempDir()
	if err := os.WriteFile(filepath.Join(badJSON, "x.json"), []byte(`{"requirements": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	unreadable := t.TempDir()
	if err := os.Mkdir(filepath.Join(unreadable, "x.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(empty, "none"), "no such file or directory"},
		{empty, empty + " holds no JSON report (NAME.json, one per implementation)"},
		{withSub, "holds no JSON report (NAME.json, one per implementation); its subdirectories are not read"},
		{notReport, filepath.Join(notReport, "package.json") + ": not a conformance report: no requirements"},
		{badJSON, filepath.Join(badJSON, "x.json") + ": not a conformance report: unexpected end of JSON input"},
		{unreadable, filepath.Join(unreadable, "x.json") + " is a directory, not a conformance report"},
	} {
		cols, err := FromDir(tc.dir, tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("FromDir(%s) = %d columns, %v; want one line with %q", tc.dir, len(cols), err, tc.want)
		}
	}
}

func TestExitStatusAndLine(t *testing.T) {
	pass, fail := fakeReport("a"), fakeReport("b", "UDP-ONCE")
	harness := report.Report{HarnessError: "the server never came up"}
	xpass := fakeReport("c")
	xpass.Expect(map[string]string{"TCP-EOF": ""})
	p := Column{Implementation: Implementation{Name: "p"}, Report: &pass}
	f := Column{Implementation: Implementation{Name: "f"}, Report: &fail}
	x := Column{Implementation: Implementation{Name: "x"}, Report: &xpass}
	h := Column{Implementation: Implementation{Name: "h"}, Report: &harness}
	e := Column{Implementation: Implementation{Name: "e"}, Err: "no report"}
	s := Column{Implementation: Implementation{Name: "s"}, Skipped: "node is not on PATH"}
	for _, tc := range []struct {
		cols []Column
		want int
	}{
		{[]Column{p}, report.ExitPass},
		{[]Column{p, s}, report.ExitPass},
		{[]Column{p, f}, report.ExitFail},
		{[]Column{p, x}, report.ExitFail},
		{[]Column{p, h}, report.ExitHarness},
		{[]Column{e, p}, report.ExitHarness},
		{[]Column{h, f, e}, report.ExitFail},
	} {
		if got := ExitStatus(tc.cols); got != tc.want {
			t.Errorf("ExitStatus(%s) = %d, want %d", Line(tc.cols), got, tc.want)
		}
	}
	if got, want := Line([]Column{p, f, x, h, e, s}), "upcheck matrix: 6 implementations: 1 passed, 2 failed (f, x), 2 not judged (h, e), 1 skipped (s)"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}
