package matrix

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/report"
)

func TestRunSkipsWhatIsMissingAndReportsWhatCannotRun(t *testing.T) {
	cfg := Config{Implementations: []Implementation{
		{Name: "needs-tool", Command: "tool --tcp {tcp}", Requires: []string{"sh", "no-such-tool"}},
		{Name: "no-suites", Command: "srv --tcp {tcp}"},
	}}
	var log bytes.Buffer
	cols := Run(context.Background(), cfg, RunOptions{
		Suites: filepath.Join(t.TempDir(), "missing-suites.test"),
		Dir:    t.TempDir(),
		LookPath: func(p string) (string, error) {
			if p == "sh" {
				return "/bin/sh", nil
			}
			return "", errors.New("not found")
		},
		Log: &log,
	})
	if len(cols) != 2 {
		t.Fatalf("%d columns", len(cols))
	}
	if cols[0].Skipped != "no-such-tool is not on PATH" || cols[0].Report != nil {
		t.Errorf("needs-tool: %+v", cols[0])
	}
	if c := cols[0].Cell("TCP-EOF"); c.Status != report.Skip {
		t.Errorf("a skipped column's cell is %s", c.Status)
	}
	if cols[1].Err == "" || cols[1].Report != nil {
		t.Errorf("no-suites: %+v", cols[1])
	}
	if c := cols[1].Cell("TCP-EOF"); c.Status != report.Error {
		t.Errorf("a column that could not run has a %s cell", c.Status)
	}
	for _, want := range []string{"needs-tool: skipped: no-such-tool is not on PATH", "no-suites: checking srv --tcp {tcp}"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}
