package fuzz

import (
	"bytes"
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

// TestBoundaryPairs: every ordered pair of boundary bytes is in the seed,
// side by side, and nothing else.
func TestBoundaryPairs(t *testing.T) {
	b := boundaryPairs()
	k := len(boundaryBytes)
	if len(b) != k*k+1 {
		t.Errorf("%d bytes, want %d", len(b), k*k+1)
	}
	for _, x := range boundaryBytes {
		for _, y := range boundaryBytes {
			if !bytes.Contains(b, []byte{x, y}) {
				t.Errorf("the pair %02x %02x is missing", x, y)
			}
		}
	}
}
