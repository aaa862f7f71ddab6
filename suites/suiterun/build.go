package suiterun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// goTool returns the go command: the one on PATH (go test puts its own
// first), else the one of the toolchain this binary was built with.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// SuitesPackage is the import path of the conformance suites.
const SuitesPackage = "github.com/upcheck/upcheck/suites"

// BuildSuites compiles the suites' test binary into dir and returns its
// path. It runs in root (the module root).
func BuildSuites(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "suites.test")
	return out, goBuild(ctx, root, "test", "-c", "-o", out, SuitesPackage)
}

// BuildCommand compiles the main package pkg (an import path or a
// ./relative path from root) into dir and returns the binary's path.
func BuildCommand(ctx context.Context, root, dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	return out, goBuild(ctx, root, "build", "-o", out, pkg)
}

func goBuild(ctx context.Context, root string, args ...string) error {
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = root
	// A caller's GOFLAGS (-race from make test, say) is not meant for
	// the binaries the harness runs.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return errors.New("suiterun: go " + strings.Join(args, " ") + ": " + msg)
	}
	return nil
}
