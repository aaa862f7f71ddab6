package target

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/upcheck/upcheck") {
		t.Errorf("%s/go.mod: %v", root, err)
	}
	t.Chdir(t.TempDir())
	if dir, err := ModuleRoot(); err == nil || !strings.Contains(err.Error(), "no go.mod in") {
		t.Errorf("ModuleRoot() outside a module = %q, %v; want an error", dir, err)
	}
}
