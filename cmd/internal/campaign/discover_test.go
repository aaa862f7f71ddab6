package campaign

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestParseList reads the recorded go test -json -list '^Fuzz' of two
// packages, one of whose TestMain prints a line of its own, and asks for
// them in the other order.
func TestParseList(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "gotest", "list.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs := []string{"example.com/m/h", "example.com/m"}
	dirs := map[string]string{"example.com/m/h": "/m/h", "example.com/m": "/m"}
	got := parseList(f, pkgs, dirs, regexp.MustCompile("Crash|Slow|TCP"))
	want := []fuzzTarget{{"example.com/m/h", "/m/h", "FuzzTCPStream"}, {"example.com/m", "/m", "FuzzCrash"}, {"example.com/m", "/m", "FuzzSlow"}}
	if len(got) != len(want) {
		t.Fatalf("parseList = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
}
