package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/suites/matrix"
	"github.com/upcheck/upcheck/suites/report"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"implementations": [{"name": "x"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-parallel", "0"}, "must be at least 1"},
		{[]string{"-config", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"-config", bad}, `implementation "x" has no command`},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, stderr.String(), tc.want)
		}
	}
}

// TestRendersWhatItCannotCheck renders a matrix whose one implementation
// needs a program that is missing: it is skipped, and the matrix is still
// written, in both forms.
func TestRendersWhatItCannotCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "matrix.json")
	if err := os.WriteFile(cfg, []byte(`{"implementations": [
		{"name": "elsewhere", "command": "no-such-server --tcp {tcp}", "requires": ["no-such-server-program"]}
	]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-config", cfg, "-out", out, "-suites", filepath.Join(dir, "unused")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(out, "matrix.md"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "matrix.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| TCP-EOF | MUST | skip |", "skipped: no-such-server-program is not on PATH"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("matrix.md lacks %q", want)
		}
	}
	if !strings.Contains(string(page), `<td class="skip"`) {
		t.Error("matrix.html has no skip cell")
	}
	if !strings.Contains(stdout.String(), "matrix.html") || !strings.Contains(stdout.String(), "| requirement |") {
		t.Errorf("stdout: %s", stdout.String())
	}
}

// TestMissingSuitesIsAnErrorColumn: with a suites binary that is not
// there, each implementation's column is an error saying so, and the
// matrix is still written.
func TestMissingSuitesIsAnErrorColumn(t *testing.T) {
	dir := t.TempDir()
	cols := matrix.Run(context.Background(), matrix.Config{Implementations: []matrix.Implementation{{Name: "x", Command: "x {tcp}"}}},
		matrix.RunOptions{Check: suitesCheck(filepath.Join(dir, "missing.test"), dir), Dir: dir})
	if len(cols) != 1 || cols[0].Err == "" || cols[0].Cell("TCP-EOF").Status != report.Error {
		t.Errorf("columns: %+v", cols)
	}
}

// TestRepositoryConfig keeps the module's matrix.json valid and holding
// what make matrix promises: the reference, the Python example and at
// least five faulty servers.
func TestRepositoryConfig(t *testing.T) {
	c, err := matrix.Load("../../../matrix.json")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	mutants := 0
	for _, im := range c.Implementations {
		names[im.Name] = true
		if strings.Contains(im.Command, "mutantd") {
			mutants++
		}
	}
	if !names["reference"] || !names["python"] {
		t.Errorf("matrix.json lacks the reference or the python example: %v", names)
	}
	if mutants < 5 {
		t.Errorf("matrix.json has %d faulty servers, want at least 5", mutants)
	}
}
