package suiterun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// List returns every spec of the suites' test binary suites without
// running any (ginkgo's dry run: no target is started), in the order a run
// with seed 1 takes them. It runs in dir, the module root.
func List(ctx context.Context, suites, dir string) ([]Spec, error) {
	tmp, err := os.MkdirTemp("", "suiterun-list-")
	if err != nil {
		return nil, fmt.Errorf("suiterun: %w", err)
	}
	defer os.RemoveAll(tmp)
	gj := filepath.Join(tmp, "ginkgo.json")
	cmd := exec.CommandContext(ctx, suites,
		"-ginkgo.dry-run", "-ginkgo.seed", "1", "-ginkgo.no-color",
		"-ginkgo.json-report", gj)
	cmd.Dir = dir
	cmd.Env = CleanEnv(os.Environ())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("suiterun: dry run of %s: %w: %s", suites, err, lastLine(out.String()))
	}
	specs, err := readSpecs(gj)
	if err != nil {
		return nil, fmt.Errorf("suiterun: dry run of %s: %w", suites, err)
	}
	return specs, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
