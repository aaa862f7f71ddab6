package matrix

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

// fakeReport is a report where every requirement passes but those of
// failing, which fail.
func fakeReport(target string, failing ...string) report.Report {
	r := report.Report{Target: target, Version: "devel"}
	for _, req := range check.Requirements {
		q := report.Requirement{ID: req.ID, Level: req.Level, Status: report.Pass, Specs: 1}
		for _, id := range failing {
			if id == req.ID {
				q.Status, q.Observed, q.Expected = report.Fail, "observed "+id, "expected "+id
			}
		}
		r.Requirements = append(r.Requirements, q)
	}
	return r
}

func TestRunSkipsWhatIsMissingAndReportsWhatCannotRun(t *testing.T) {
	cfg := Config{Implementations: []Implementation{
		{Name: "needs-tool", Command: "tool --tcp {tcp}", Requires: []string{"sh", "no-such-tool"}},
		{Name: "broken", Command: "srv --tcp {tcp}"},
		{Name: "good", Command: "good --tcp {tcp}", Requires: []string{"sh"}},
		{Name: "silent", Command: "silent --tcp {tcp}"},
	}}
	dir := t.TempDir()
	var log bytes.Buffer
	var calls atomic.Int32
	cols := Run(context.Background(), cfg, RunOptions{
		Check: func(_ context.Context, im Implementation, js string) (*report.Report, error) {
			calls.Add(1)
			if want := filepath.Join(dir, "reports", im.Name+".json"); js != want {
				t.Errorf("%s: report at %s, want %s", im.Name, js, want)
			}
			switch im.Name {
			case "broken":
				return nil, errors.New("the suites are missing")
			case "silent":
				return nil, nil
			}
			r := fakeReport("command: " + im.Command)
			if _, _, err := report.Write(js, r); err != nil {
				return nil, err
			}
			return &r, nil
		},
		Dir:      filepath.Join(dir, "reports"),
		Out:      dir,
		Parallel: 2,
		LookPath: func(p string) (string, error) {
			if p == "sh" {
				return "/bin/sh", nil
			}
			return "", errors.New("not found")
		},
		Log: &log,
	})
	if len(cols) != 4 || calls.Load() != 3 {
		t.Fatalf("%d columns, %d checks; want 4 and 3", len(cols), calls.Load())
	}
	if cols[0].Skipped != "no-such-tool is not on PATH" || cols[0].Report != nil {
		t.Errorf("needs-tool: %+v", cols[0])
	}
	if c := cols[0].Cell("TCP-EOF"); c.Status != report.Skip {
		t.Errorf("a skipped column's cell is %s", c.Status)
	}
	if cols[1].Err != "the suites are missing" || cols[1].Report != nil {
		t.Errorf("broken: %+v", cols[1])
	}
	if c := cols[1].Cell("TCP-EOF"); c.Status != report.Error {
		t.Errorf("a column that could not run has a %s cell", c.Status)
	}
	if cols[2].Report == nil || cols[2].ReportFile != "reports/good.md" || cols[2].Elapsed <= 0 || cols[2].Err != "" {
		t.Errorf("good: %+v", cols[2])
	}
	if cols[3].Err != "no conformance report" {
		t.Errorf("silent: %+v", cols[3])
	}
	for _, want := range []string{
		"needs-tool: skipped: no-such-tool is not on PATH",
		"broken: checking srv --tcp {tcp}",
		"broken: the suites are missing",
		"good: 18 passed, 0 failed (",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestRunStopsStarting: once ctx is done, no run starts; the columns say
// why.
func TestRunStopsStarting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cols := Run(ctx, Config{Implementations: []Implementation{{Name: "a", Command: "a {tcp}"}}}, RunOptions{
		Check: func(context.Context, Implementation, string) (*report.Report, error) {
			t.Error("a check ran after the context was done")
			return nil, nil
		},
		Dir: t.TempDir(),
	})
	if cols[0].Err != "not run: context canceled" {
		t.Errorf("column: %+v", cols[0])
	}
}

func TestLink(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "reports", "x.md")
	if got := link(dir, md); got != "" {
		t.Errorf("link to a missing file = %q", got)
	}
	if err := os.MkdirAll(filepath.Dir(md), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(md, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := link(filepath.Join(dir, "out"), md); got != "../reports/x.md" {
		t.Errorf("link = %q, want ../reports/x.md", got)
	}
}
