package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/matrix"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/target"
)

// writeFile writes body to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMatrixUsageErrors: a bad flag, configuration or report directory is
// one line on stderr and exit status 2, with no matrix written.
func TestMatrixUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", `{"implementations": [{"name": "x"}]}`)
	empty := filepath.Join(dir, "empty")
	notReport := filepath.Join(dir, "not-report")
	badJSON := filepath.Join(dir, "bad-json")
	unreadable := filepath.Join(dir, "unreadable")
	for _, d := range []string{empty, notReport, badJSON, filepath.Join(unreadable, "x.json")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, notReport, "package.json", `{"name": "my-server", "version": "1.0.0"}`)
	writeFile(t, badJSON, "x.json", `{"requirements": [`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--frobnicate"}, "-frobnicate"},
		{[]string{"--parallel", "0"}, "-parallel 0: must be at least 1"},
		{[]string{"--time-scale", "0"}, "-time-scale"},
		{[]string{"-host", "10.0.0.1"}, "-host: 10.0.0.1 is not a loopback address"},
		{[]string{"--only", "TCP-NOPE"}, `-only: "TCP-NOPE" is neither a requirement ID`},
		{[]string{"--seed", "x"}, `-seed: "x" is not a number`},
		{[]string{"--config", filepath.Join(dir, "none.json")}, "no such file"},
		{nil, "no matrix.json here: give the implementations to check with -config FILE, or reports made elsewhere with -from DIR"},
		{[]string{"--config", bad}, `implementation "x" has no command`},
		{[]string{"--from", empty, "--only", "tcp"}, "-only does not go with -from"},
		{[]string{"--from", filepath.Join(dir, "none")}, "no such file or directory"},
		{[]string{"--from", empty}, "holds no JSON report"},
		{[]string{"--from", notReport}, "package.json: not a conformance report"},
		{[]string{"--from", badJSON}, "x.json: not a conformance report"},
		{[]string{"--from", unreadable}, "x.json is a directory, not a conformance report"},
	} {
		out := filepath.Join(dir, "out")
		r := runUpcheck(t, dir, append(append([]string{"matrix"}, tc.args...), "--out", out)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("upcheck matrix %s: exit %d, want %d and one line with %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), r.code, exitUsage, tc.want, r.stdout, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("upcheck matrix %s wrote %s", strings.Join(tc.args, " "), out)
		}
	}
}

// sampleReport is a report where every requirement passes but those of
// failing, which fail.
func sampleReport(target string, failing ...string) report.Report {
	r := report.Report{Target: target, Seed: 1, Version: "devel"}
	for _, req := range check.Requirements {
		q := report.Requirement{ID: req.ID, Level: req.Level, Status: report.Pass, Specs: 2}
		for _, id := range failing {
			if id == req.ID {
				q.Status, q.Observed, q.Expected, q.Evidence = report.Fail, "got "+id, "want "+id, "seed 1"
			}
		}
		r.Requirements = append(r.Requirements, q)
	}
	return r
}

// TestMatrixFrom renders reports written elsewhere, as the jobs of a CI
// matrix leave them: a column per report, named after its file; exit 1
// when one failed a MUST requirement, 0 when every failure was expected,
// 2 when one could not be judged and none failed.
func TestMatrixFrom(t *testing.T) {
	dir := t.TempDir()
	known := sampleReport("command: ./known {tcp}", "TCP-EOF")
	known.Expect(map[string]string{"TCP-EOF": "resets on a half-close"})
	reps := map[string]report.Report{
		"reference": sampleReport("reference servers (in process)"),
		"node":      sampleReport("command: node server.js --tcp {tcp}", "TCP-BYTES"),
		"known":     known,
		"dead":      {Target: "command: ./dead {tcp}", HarnessError: "the server never came up"},
	}
	write := func(sub string, names ...string) string {
		d := filepath.Join(dir, sub)
		for _, n := range names {
			if _, _, err := report.Write(filepath.Join(d, n+".json"), reps[n]); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	all := write("all", "reference", "node", "known", "dead")
	r := runUpcheck(t, dir, "matrix", "-from", all, "-out", "out")
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitFail, r.stdout, r.stderr)
	}
	md := readFile(t, filepath.Join(dir, "out", "matrix.md"))
	if md != r.stdout {
		t.Errorf("stdout is not matrix.md:\n%s", r.stdout)
	}
	for _, want := range []string{
		"| requirement | level | dead | known | node | reference |",
		"| TCP-BYTES | MUST | **error** | pass | **fail** | pass |",
		"| TCP-EOF | MUST | **error** | xfail | pass | pass |",
		"| | | harness error: the server never came up | 17 passed, 0 failed, 1 failed as expected | 17 passed, 1 failed | 18 passed, 0 failed |",
		"- **node**\n  - target: command: node server.js --tcp {tcp}\n  - report: [../all/node.md](../all/node.md)\n",
		"- node, TCP-BYTES (fail): observed got TCP-BYTES; expected want TCP-BYTES; seed 1",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q:\n%s", want, md)
		}
	}
	page := readFile(t, filepath.Join(dir, "out", "matrix.html"))
	checkMatrixPage(t, page, map[string][]string{
		"TCP-BYTES": {"error", "pass", "fail", "pass"},
		"TCP-EOF":   {"error", "xfail", "pass", "pass"},
	})
	if !strings.Contains(page, `<a href="../all/node.md">report</a>`) {
		t.Error("matrix.html does not link to node's report")
	}
	if want := "upcheck matrix: 4 implementations: 2 passed, 1 failed (node), 1 not judged (dead), 0 skipped; matrix: out/matrix.md, out/matrix.html\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}

	for _, tc := range []struct {
		names []string
		code  int
	}{
		{[]string{"reference", "known"}, exitPass},
		{[]string{"reference", "dead"}, exitUsage},
	} {
		from := write(strings.Join(tc.names, "-"), tc.names...)
		if r := runUpcheck(t, dir, "matrix", "--from", from, "--out", from); r.code != tc.code {
			t.Errorf("matrix of %v: exit %d, want %d\nstderr: %s", tc.names, r.code, tc.code, r.stderr)
		}
	}
}

// TestMatrixRunsEveryImplementation runs upcheck matrix over a
// configuration of the reference servers (upcheck serve), a server that
// echoes without uppercasing, the same with its failures declared
// expected, one that never comes up and one whose program is missing:
// each is checked by a run of upcheck check, and the matrix shows each
// with its statuses. Then -from renders the same reports again.
func TestMatrixRunsEveryImplementation(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	writeFile(t, dir, "echo.py", echoPy)
	writeFile(t, dir, "matrix.json", `{"implementations": [
		{"name": "reference", "command": "'`+upcheck+`' serve -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}", "note": "upcheck serve"},
		{"name": "echo", "command": "python3 echo.py {tcp}", "note": "echoes unchanged", "requires": ["python3"]},
		{"name": "echo-known", "command": "python3 echo.py {tcp}", "expect_fail": "TCP-BYTES"},
		{"name": "dead", "command": "echo no server here {tcp}; exit 3"},
		{"name": "elsewhere", "command": "no-such-server {tcp}", "requires": ["no-such-server-program"]}
	]}`)
	r := runUpcheck(t, dir, "matrix", "--only", "TCP-ROUNDTRIP,TCP-BYTES,UDP-EMPTY", "--seed", "7", "--time-scale", "2")
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitFail, r.stdout, r.stderr)
	}
	md := readFile(t, filepath.Join(dir, "matrix", "matrix.md"))
	for _, want := range []string{
		"| requirement | level | reference | echo | echo-known | dead | elsewhere |",
		"| TCP-ROUNDTRIP | MUST | pass | not-judged | not-judged | **error** | skip |",
		"| TCP-BYTES | MUST | pass | **fail** | xfail | **error** | skip |",
		"| UDP-EMPTY | MUST | pass | skip | skip | **error** | skip |",
		"| TCP-EOF | MUST | skip | skip | skip | **error** | skip |",
		"| | | 3 passed, 0 failed, 15 skipped | 0 passed, 1 failed, 16 skipped, 1 not judged | 0 passed, 0 failed, 16 skipped, 1 failed as expected, 1 not judged | harness error: ",
		"skipped: no-such-server-program is not on PATH |",
		"  - report: [reports/echo.md](reports/echo.md), ",
		"\n- dead: harness error: -server-cmd: \"echo no server here {tcp}; exit 3\" exited (status 3) before answering\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q:\n%s", want, md)
		}
	}
	if !regexp.MustCompile(`\n\| suite time \| \| \d+\.\d s \| \d+\.\d s \| \d+\.\d s \| \d+\.\d s \| - \|\n`).MatchString(md) {
		t.Errorf("matrix.md has no suite times:\n%s", md)
	}
	checkMatrixPage(t, readFile(t, filepath.Join(dir, "matrix", "matrix.html")), map[string][]string{
		"TCP-ROUNDTRIP": {"pass", "not-judged", "not-judged", "error", "skip"},
		"TCP-BYTES":     {"pass", "fail", "xfail", "error", "skip"},
		"UDP-EMPTY":     {"pass", "skip", "skip", "error", "skip"},
	})
	// Each check ran with the settings given: the seed, the filter, the
	// time scale (its run's log holds the suite's output).
	ref := readReport(t, filepath.Join(dir, "matrix", "reports", "reference.json"))
	if ref.Seed != 7 || !strings.HasPrefix(ref.Target, "command: '"+upcheck+"' serve") {
		t.Errorf("reference's report: seed %d, target %q", ref.Seed, ref.Target)
	}
	if !strings.Contains(r.stderr, "upcheck matrix: 5 implementations: 2 passed, 1 failed (echo), 1 not judged (dead), 1 skipped (elsewhere)") {
		t.Errorf("no summary line:\n%s", r.stderr)
	}

	// The same reports, rendered from their directory: the same statuses.
	r = runUpcheck(t, dir, "matrix", "--from", filepath.Join("matrix", "reports"), "--out", "again")
	if r.code != exitFail {
		t.Fatalf("-from: exit %d, want %d\nstderr: %s", r.code, exitFail, r.stderr)
	}
	if again := readFile(t, filepath.Join(dir, "again", "matrix.md")); !strings.Contains(again, "| TCP-BYTES | MUST | **error** | **fail** | xfail | pass |\n") {
		t.Errorf("-from matrix.md (columns dead, echo, echo-known, reference):\n%s", again)
	}
}

// checkMatrixPage checks that the HTML page has each requirement's row of
// rows with cells of the statuses given, left to right.
func checkMatrixPage(t *testing.T, page string, rows map[string][]string) {
	t.Helper()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || strings.Contains(page, "<script") {
		t.Error("matrix.html is not a self-contained page")
	}
	cell := regexp.MustCompile(`<td class="([a-z-]+)"`)
	for id, want := range rows {
		_, row, ok := strings.Cut(page, `id="`+id+`"`)
		row, _, _ = strings.Cut(row, "</tr>")
		var got []string
		for _, m := range cell.FindAllStringSubmatch(row, -1) {
			got = append(got, m[1])
		}
		if !ok || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("matrix.html row %s: cells %v, want %v", id, got, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCheckArgs: each check gets its implementation's settings and those
// given to the matrix, the time scales multiplied.
func TestCheckArgs(t *testing.T) {
	im := matrix.Implementation{Name: "slow", Command: "srv {tcp}", UDPMax: 1024, TimeScale: 3, ExpectFail: "TCP-EOF"}
	for _, tc := range []struct {
		pass target.Settings
		want string
	}{
		{target.Settings{}, "check -server-cmd srv {tcp} -udp-max 1024 -time-scale 3 -expect-fail TCP-EOF -report r.json --only tcp"},
		{target.Settings{TimeScale: 2, Host: "::1"}, "check -server-cmd srv {tcp} -udp-max 1024 -time-scale 6 -host ::1 -expect-fail TCP-EOF -report r.json --only tcp"},
	} {
		if got := strings.Join(checkArgs(im, tc.pass, []string{"--only", "tcp"}, "r.json"), " "); got != tc.want {
			t.Errorf("checkArgs with %+v = %q, want %q", tc.pass, got, tc.want)
		}
	}
	im.TimeScale = 0
	if got := strings.Join(checkArgs(im, target.Settings{TimeScale: 2}, nil, "r.json"), " "); !strings.Contains(got, "-time-scale 2 ") {
		t.Errorf("checkArgs of an implementation without a time scale = %q, want -time-scale 2", got)
	}
}
