package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// write saves a report whose requirements all pass but those in status.
func write(t *testing.T, name string, status map[string]report.Status) string {
	t.Helper()
	r := report.Report{Target: "t", Version: "devel"}
	for _, req := range check.Requirements {
		q := report.Requirement{ID: req.ID, Level: req.Level, Status: report.Pass, Specs: 1}
		if s, ok := status[req.ID]; ok {
			q.Status = s
			if s == report.Fail {
				q.Observed = "reset after EOF"
			}
		}
		r.Requirements = append(r.Requirements, q)
	}
	path := filepath.Join(t.TempDir(), name)
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRun(t *testing.T) {
	good := write(t, "good.json", nil)
	bad := write(t, "bad.json", map[string]report.Status{"TCP-EOF": report.Fail})
	xfail := write(t, "xfail.json", map[string]report.Status{"TCP-EOF": report.XFail})
	junk := filepath.Join(t.TempDir(), "junk.json")
	if err := os.WriteFile(junk, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		args        []string
		code        int
		out, errOut string
	}{
		{"same", []string{good, good}, 0, "no change\n", ""},
		{"regression", []string{good, bad}, 1, "regression: TCP-EOF pass -> fail: reset after EOF\n1 regressions, 0 fixes, 0 other changes\n", ""},
		{"fix", []string{bad, good}, 0, "fix: TCP-EOF fail -> pass\n0 regressions, 1 fixes, 0 other changes\n", ""},
		{"expected now", []string{bad, xfail}, 0, "no change\n", ""},
		{"no args", nil, 2, "", "reportdiff: usage: reportdiff OLD.json NEW.json (exit 1 on a regression)\n"},
		{"missing", []string{good, filepath.Join(t.TempDir(), "none.json")}, 2, "", "reportdiff: report: open "},
		{"junk", []string{junk, good}, 2, "", "reportdiff: report: " + junk + ": not a conformance report: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tc.args, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut.String())
			}
			if out.String() != tc.out {
				t.Errorf("stdout %q, want %q", out.String(), tc.out)
			}
			if !strings.HasPrefix(errOut.String(), tc.errOut) || strings.Count(errOut.String(), "\n") > 1 {
				t.Errorf("stderr %q, want one line starting %q", errOut.String(), tc.errOut)
			}
		})
	}
}
