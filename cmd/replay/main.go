// Command replay runs a counterexample saved by upcheck's fuzzers (a JSON
// script under fuzz/testdata/failures) against a target, and says whether
// the failure is still there. Its flags, output and exit status are those
// of package cmd/internal/replay, which upcheck replay runs as well.
package main

import (
	"os"

	replaycmd "github.com/upcheck/upcheck/cmd/internal/replay"
)

func main() { os.Exit(replaycmd.Run(os.Args[1:], os.Stdout, os.Stderr)) }
