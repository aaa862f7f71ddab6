package matrix

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/upcheck/upcheck/suites/report"
)

// ginkgoSuffix ends the names of ginkgo's own JSON reports, which the
// suites' runs (suiterun) write beside the conformance reports: FromDir
// leaves them out.
const ginkgoSuffix = ".ginkgo.json"

// FromDir returns the matrix of the conformance reports in dir, made
// elsewhere: one column per file NAME.json, named NAME, in the order of
// the names (echo before echo-known). Other files are left out (the Markdown and HTML twins, a
// run's log, ginkgo's NAME.ginkgo.json), and so are subdirectories. A
// column links to NAME.md beside its report when there is one, by a path
// relative to out, where the matrix's own files go. The error, in one
// line naming the file, is for a directory that cannot be read or holds
// no JSON file, and for a JSON file that cannot be read or is not a
// conformance report.
func FromDir(dir, out string) ([]Column, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	var cols []Column
	subdirs := false
	for _, e := range entries {
		subdirs = subdirs || e.IsDir()
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || name == "" || strings.HasSuffix(e.Name(), ginkgoSuffix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if e.IsDir() {
			return nil, fmt.Errorf("matrix: %s is a directory, not a conformance report", path)
		}
		rep, err := report.Read(path)
		if err != nil {
			return nil, err
		}
		_, md := report.Paths(path)
		cols = append(cols, Column{Implementation: Implementation{Name: name}, Report: rep, ReportFile: link(out, md)})
	}
	slices.SortFunc(cols, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
	if len(cols) == 0 {
		hint := ""
		if subdirs {
			hint = "; its subdirectories are not read"
		}
		return nil, fmt.Errorf("matrix: %s holds no JSON report (NAME.json, one per implementation)%s", dir, hint)
	}
	return cols, nil
}
