package target

import (
	"fmt"
	"os"
	"path/filepath"
)

// ModuleRoot returns the root of the Go module the harness runs in: the
// nearest directory holding go.mod, from the working directory up. Server
// commands run there and relative report paths start there, so that a
// relative path means the same under make, go test ./suites (which runs in
// suites/) and go tool ginkgo.
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod in %s or above", wd)
		}
	}
}
