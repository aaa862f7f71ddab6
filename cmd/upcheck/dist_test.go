package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDist runs make dist, as a release does: the four binaries, each
// listed in SHA256SUMS with its checksum, the one for this machine's
// platform a static binary that runs. Cross-compiling from cold takes
// minutes: -short leaves it out.
func TestDist(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles four binaries")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not found")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "dist", "DIST="+dist)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	sums := map[string]string{}
	f, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		sums[name] = sum
	}
	for _, p := range []string{"linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"} {
		name := "upcheck-" + p
		b, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		h := sha256.Sum256(b)
		if got := hex.EncodeToString(h[:]); sums[name] != got {
			t.Errorf("%s: SHA256SUMS says %q, the file's is %s", name, sums[name], got)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	native := filepath.Join(dist, "upcheck-linux-"+runtime.GOARCH)
	ef, err := elf.Open(native)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", native)
		}
	}
	out, err := exec.CommandContext(ctx, native, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "upcheck ") {
		t.Errorf("%s version: %q, %v", native, out, err)
	}
}
