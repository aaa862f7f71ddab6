package hostile_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The binaries the suite tests run, built once per test run.
var binaries struct {
	once        sync.Once
	dir         string
	suite, serv string
	err         error
}

// build returns the paths of the conformance suite's test binary (go test
// -c ./suites) and of mutantd, building them on first use.
func build(t *testing.T) (suite, mutantd string) {
	t.Helper()
	b := &binaries
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "hostile-bin-"); b.err != nil {
			return
		}
		b.suite = filepath.Join(b.dir, "suites.test")
		b.serv = filepath.Join(b.dir, "mutantd")
		for _, args := range [][]string{
			{"test", "-c", "-o", b.suite, "github.com/upcheck/upcheck/suites"},
			{"build", "-o", b.serv, "github.com/upcheck/upcheck/lab/cmd/mutantd"},
		} {
			out, err := exec.Command("go", args...).CombinedOutput()
			if err != nil {
				b.err = &buildError{args, out, err}
				return
			}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.suite, b.serv
}

type buildError struct {
	args []string
	out  []byte
	err  error
}

func (e *buildError) Error() string {
	return "go " + e.args[0] + " " + e.args[len(e.args)-1] + ": " + e.err.Error() + "\n" + string(e.out)
}

// removeBinaries removes what build built.
func removeBinaries() {
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
}
