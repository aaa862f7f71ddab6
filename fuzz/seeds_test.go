package fuzz

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus files under testdata/fuzz")

// TestSeedCorpusFiles keeps testdata/fuzz in step with Seeds: fuzz builds
// that ignore f.Add read the corpus from these files. Run with
// -update-corpus to rewrite them.
func TestSeedCorpusFiles(t *testing.T) {
	for path, want := range seedCorpus() {
		if *updateCorpus {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale: run go test ./fuzz -run TestSeedCorpusFiles -update-corpus", path)
		}
	}
}
