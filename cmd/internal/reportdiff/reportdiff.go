// Package reportdiff is the report differ, run by cmd/reportdiff and by
// upcheck diff: it compares two conformance reports (the JSON the suites
// write with UPCHECK_REPORT) and lists, one to a line, the requirements
// whose verdict changed: regressions (passed, fails now), fixes (failed,
// passes now) and other changes (judged, not judged now, or the reverse).
//
// Exit status: 0 no regression, 1 a regression, 2 a usage error or a file
// that is not a conformance report (one line on standard error).
package reportdiff

import (
	"fmt"
	"io"

	"github.com/upcheck/upcheck/suites/report"
)

// Run is the command with its arguments, OLD.json NEW.json; name starts its
// error lines ("reportdiff", "upcheck diff").
func Run(name string, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintf(stderr, "%s: usage: %s OLD.json NEW.json (exit 1 on a regression)\n", name, name)
		return 2
	}
	old, err := report.Read(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	cur, err := report.Read(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	changes := report.Diff(old, cur)
	fmt.Fprint(stdout, report.DiffText(changes))
	if report.Regressions(changes) {
		return 1
	}
	return 0
}
