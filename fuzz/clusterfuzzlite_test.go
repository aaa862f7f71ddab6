package fuzz

import (
	"bytes"
	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// shimExceptions are files that declare a native fuzz target next to code
// using parts of package testing that the libFuzzer builds' testing shim
// may lack. Each is a known risk for those builds, and is listed here so
// that no new one creeps in.
var shimExceptions = map[string]string{}

// TestClusterFuzzLiteBuild checks .clusterfuzzlite/build.sh against the
// native fuzz targets of the module: it builds every one of them, and each
// is buildable by compile_native_go_fuzzer, which finds a target by grepping
// its package directory for the name (so the name is in one file only) and
// compiles that file with a testing shim in place of package testing (so
// the file uses nothing of it but F and T).
func TestClusterFuzzLiteBuild(t *testing.T) {
	root := ".."
	script, err := os.ReadFile(filepath.Join(root, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ pkg, fn, fuzzer, corpus string }
	var built []entry
	for _, m := range regexp.MustCompile(`(?m)^build (\S+) (Fuzz\w+) (\S+)(?: (\S+))?$`).FindAllStringSubmatch(string(script), -1) {
		built = append(built, entry{m[1], m[2], m[3], m[4]})
	}

	declared := map[string]string{} // "pkg FuzzX" -> declaring file, relative to root
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w*)\(\w+ \*testing\.F\)`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range decl.FindAllSubmatch(src, -1) {
			if _, ok := fuzzspec.Fixtures[filepath.ToSlash(filepath.Dir(rel))+"."+string(m[1])]; ok {
				continue
			}
			declared[filepath.ToSlash(filepath.Dir(rel))+" "+string(m[1])] = filepath.ToSlash(rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var fuzzers []string
	for _, b := range built {
		key := b.pkg + " " + b.fn
		file, ok := declared[key]
		if !ok {
			t.Errorf("build.sh builds %s.%s, which is not a fuzz target", b.pkg, b.fn)
			continue
		}
		delete(declared, key)
		if slices.Contains(fuzzers, b.fuzzer) {
			t.Errorf("build.sh names two fuzzers %s", b.fuzzer)
		}
		fuzzers = append(fuzzers, b.fuzzer)
		if got := filesMentioning(t, filepath.Join(root, b.pkg), b.fn); !slices.Equal(got, []string{file}) {
			t.Errorf("%s is named in %v under %s/, want only in %s: compile_native_go_fuzzer finds it by name", b.fn, got, b.pkg, file)
		}
		if why, ok := shimExceptions[file]; ok {
			t.Logf("known risk for the libFuzzer build: %s", why)
		} else {
			src, _ := os.ReadFile(filepath.Join(root, file))
			for _, m := range regexp.MustCompile(`testing\.(\w+)`).FindAllStringSubmatch(string(src), -1) {
				if m[1] != "F" && m[1] != "T" {
					t.Errorf("%s, which declares %s, uses testing.%s: keep the file to the fuzz targets, which the testing shim of libFuzzer builds compiles", file, b.fn, m[1])
					break
				}
			}
		}
		if b.corpus != "" {
			ents, err := os.ReadDir(filepath.Join(root, b.corpus))
			if err != nil || len(ents) == 0 {
				t.Errorf("%s: seed corpus %s is missing or empty", b.fn, b.corpus)
			}
		}
	}
	for key := range declared {
		t.Errorf("fuzz target %s is not built by .clusterfuzzlite/build.sh", key)
	}
}

// filesMentioning lists the files under dir (as paths relative to the
// module root) that hold name, as grep -r -l does, leaving out the cases
// build.sh deletes before it builds.
func filesMentioning(t *testing.T, dir, name string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p := filepath.ToSlash(path); strings.HasSuffix(p, "testdata/failures") || strings.HasSuffix(p, "testdata/rapid") {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(name)) {
			rel, _ := filepath.Rel("..", path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
