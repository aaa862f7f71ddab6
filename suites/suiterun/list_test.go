package suiterun

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestListDryRunsTheSuites(t *testing.T) {
	rep, gr := sampleReports()
	bin, record := fakeSuites(t, rep, gr, "0")
	t.Setenv("UPCHECK_TCP", "127.0.0.1:1")
	dir := t.TempDir()
	specs, err := List(context.Background(), bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.Text)
	}
	// The label filter "tcp" of the sample leaves the UDP spec out.
	if want := []string{"TCP-EOF half-close", "TCP-EOF slow", "TCP-BYTES all bytes"}; !slices.Equal(got, want) {
		t.Errorf("specs %q, want %q", got, want)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	rec := string(b)
	for _, want := range []string{"arg -ginkgo.dry-run\n", "arg -ginkgo.seed\narg 1\n", "pwd " + dir + "\n"} {
		if !strings.Contains(rec, want) {
			t.Errorf("the suites ran without %q:\n%s", want, rec)
		}
	}
	if strings.Contains(rec, "env UPCHECK_") {
		t.Errorf("the suites got the caller's UPCHECK_ settings:\n%s", rec)
	}
}

func TestListFailingBinary(t *testing.T) {
	rep, gr := sampleReports()
	bin, _ := fakeSuites(t, rep, gr, "3")
	if _, err := List(context.Background(), bin, t.TempDir()); err == nil || !strings.Contains(err.Error(), "some output") {
		t.Errorf("List of a binary that exits 3: %v, want an error with its last output line", err)
	}
}
