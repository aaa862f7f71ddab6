// Command reportdiff compares two conformance reports (the JSON the suites
// write with UPCHECK_REPORT) and lists, one to a line, the requirements
// whose verdict changed: regressions (passed, fails now), fixes (failed,
// passes now) and other changes (judged, not judged now, or the reverse).
//
//	go run ./cmd/reportdiff reports/old.json reports/new.json
//
// Exit status: 0 no regression, 1 a regression, 2 a usage error or a file
// that is not a conformance report (one line on standard error).
package main

import (
	"io"
	"os"

	"github.com/upcheck/upcheck/cmd/internal/reportdiff"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return reportdiff.Run("reportdiff", args, stdout, stderr)
}
