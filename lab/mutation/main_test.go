package mutation

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/suites/target"
)

// TestMain sets rapid's budget, runs the tests, prints the mutation table
// and writes it to reports/mutation.md (go test shows a passing package's
// output only with -v: make test prints the file), and checks that nothing
// the campaign started is left running.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := rapidFlags(); err != nil {
		fmt.Fprintf(os.Stderr, "mutation: %v\n", err)
		os.Exit(2)
	}
	code := m.Run()
	the.wait()
	if table != "" {
		fmt.Print("\n" + table)
		if err := writeReports(table, checkedBy); err != nil {
			fmt.Fprintf(os.Stderr, "mutation: %v\n", err)
			code = 1
		}
	}
	if the.dir != "" {
		if code == 0 {
			os.RemoveAll(the.dir)
		} else {
			fmt.Fprintf(os.Stderr, "mutation: the runs' reports and logs are kept in %s\n", the.dir)
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// rapidFlags gives rapid the mutation tests' budget unless the command
// line set it: fuzzChecks checks from fuzzSeed, short shrinking, and no
// fail files written.
func rapidFlags() error {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, v := range map[string]string{
		"rapid.checks":     fmt.Sprint(fuzzChecks),
		"rapid.seed":       fmt.Sprint(fuzzSeed),
		"rapid.shrinktime": fuzzShrink,
		"rapid.nofailfile": "true",
	} {
		if given[name] {
			continue
		}
		if err := flag.Set(name, v); err != nil {
			return fmt.Errorf("-%s=%s: %v", name, v, err)
		}
	}
	return nil
}

// writeReports writes the table to reports/mutation.md under the module
// root, and what checks each requirement to reports/checked-by.md.
func writeReports(table, checkedBy string) error {
	root, err := target.ModuleRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "reports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "mutation.md")
	text := "# upcheck mutation table\n\nEach faulty server of lab/mutants, the requirements it breaks, and what caught it (go test ./lab/mutation).\n\n" + table
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Printf("mutation table: %s\n", path)
	if checkedBy == "" {
		return nil
	}
	path = filepath.Join(dir, "checked-by.md")
	text = "# What checks each requirement\n\nDerived from a run of the suites against the reference, package fuzz's properties and the mutation tests (go test ./lab/mutation).\n\n" + checkedBy
	return os.WriteFile(path, []byte(text), 0o644)
}
