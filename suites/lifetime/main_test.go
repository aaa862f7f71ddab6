//go:build linux

package lifetime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const module = "github.com/upcheck/upcheck"

func TestMain(m *testing.M) {
	if os.Getenv(fuzzEnv) != "" {
		// A go test -fuzz run of FuzzServerCommand (or its worker): its
		// target is left for the supervisor to end.
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if bins.dir != "" {
			os.RemoveAll(bins.dir)
		}
		os.Exit(code)
	}))
}

// bins are the binaries the tests run, built once, on first use.
var bins struct {
	mu   sync.Mutex
	dir  string
	path map[string]string
}

// buildTimeout bounds building one binary (the machine may be busy).
const buildTimeout = 5 * time.Minute

// binary builds pkg (a package of the module, "suites" with test true for
// its test binary) once and returns the binary's path.
func binary(t *testing.T, pkg string, test bool) string {
	t.Helper()
	bins.mu.Lock()
	defer bins.mu.Unlock()
	if p, ok := bins.path[pkg]; ok {
		return p
	}
	if bins.dir == "" {
		dir, err := os.MkdirTemp("", "lifetime-bin-")
		if err != nil {
			t.Fatal(err)
		}
		bins.dir, bins.path = dir, map[string]string{}
	}
	out := filepath.Join(bins.dir, strings.ReplaceAll(pkg, "/", "-"))
	args := []string{"build", "-o", out, module + "/" + pkg}
	if test {
		args = []string{"test", "-c", "-o", out, module + "/" + pkg}
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	bins.path[pkg] = out
	return out
}

// moduleDir is the module root (this package is two folders below).
func moduleDir(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd))
}
