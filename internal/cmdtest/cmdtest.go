// Package cmdtest runs the tests of a command's package with the command
// built: tests that run a binary as its users do (its flags, its exit
// status, its signals) need it built once before they start and removed
// after they end.
package cmdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// Main is the whole of a command package's TestMain. It builds the package
// under test (the tests' working directory) as name in a temporary
// directory and sets *path to the binary; then it runs the tests, fails
// them when one left a goroutine behind (goleak), removes the directory
// and exits with the tests' status. A build that fails ends the run with
// go build's output and status 1.
func Main(m *testing.M, name string, path *string) {
	dir, err := os.MkdirTemp("", name+"-test")
	if err != nil {
		fmt.Fprintf(os.Stderr, "cmdtest: %v\n", err)
		os.Exit(1)
	}
	*path = filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", *path, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "cmdtest: building %s: %v\n%s", name, err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// goleak's exit code counts a leak; with Cleanup set, exiting with it
	// is the cleanup's job.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}
