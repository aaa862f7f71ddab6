package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// fuzzTarget is a native fuzz target: a Fuzz function of a package.
type fuzzTarget struct {
	pkg  string // import path
	dir  string // package directory
	name string
}

// label names t in the summary: the package's last element and the name.
func (t fuzzTarget) label() string { return filepath.Base(t.pkg) + "." + t.name }

// fuzzFunc matches the declaration of a native fuzz target in a test file.
var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w*)\(\w+ \*testing\.F\)`)

// discover returns the native fuzz targets of pkgs whose names match
// c.targets, in package order. go test -list '^Fuzz' has the last word,
// but it builds and starts every test binary it lists, so it is asked only
// about the packages whose test files declare a fuzz target.
func discover(ctx context.Context, c *config) ([]fuzzTarget, error) {
	args := append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .TestGoFiles \",\"}},{{join .XTestGoFiles \",\"}}"}, c.pkgs...)
	out, err := goOutput(ctx, c, args...)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	var candidates []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		pkg, dir := f[0], f[1]
		for _, name := range strings.Split(f[2], ",") {
			if name == "" {
				continue
			}
			src, err := os.ReadFile(filepath.Join(dir, name))
			if err == nil && fuzzFunc.Match(src) {
				dirs[pkg] = dir
				candidates = append(candidates, pkg)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	out, err = goOutput(ctx, c, append([]string{"test", "-list", "^Fuzz"}, candidates...)...)
	if err != nil {
		return nil, err
	}
	match, _ := compile(c.targets)
	return parseList(out, dirs, match), nil
}

// listedName is a line of go test -list naming a fuzz target.
var listedName = regexp.MustCompile(`^Fuzz\w*$`)

// parseList reads the output of go test -list '^Fuzz': names, then a line
// "ok  \t<import path>\t..." closing each package's list. Other lines (a
// TestMain's output) are ignored.
func parseList(out string, dirs map[string]string, match *regexp.Regexp) []fuzzTarget {
	var ts []fuzzTarget
	var names []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case listedName.MatchString(line):
			names = append(names, line)
		case strings.HasPrefix(line, "ok  \t"):
			f := strings.Split(line, "\t")
			if dir, ok := dirs[f[1]]; ok {
				for _, n := range names {
					if match.MatchString(n) {
						ts = append(ts, fuzzTarget{pkg: f[1], dir: dir, name: n})
					}
				}
			}
			names = nil
		}
	}
	return ts
}

// goOutput runs the go command in the module root and returns its standard
// output, or an error with the last of its standard error.
func goOutput(ctx context.Context, c *config, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = c.dir
	cmd.Env = runEnv(c)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", c.goCmd, strings.Join(args, " "), err, lastLines(stderr.String(), 20))
	}
	return string(out), nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context, goCmd string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("%s env GOMOD: %v", goCmd, err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run the campaign from the upcheck module")
	}
	return filepath.Dir(mod), nil
}

// compile is regexp.Compile for the name filters.
func compile(re string) (*regexp.Regexp, error) { return regexp.Compile(re) }

func splitFields(s string) []string { return strings.Fields(s) }

func absPath(p string) (string, error) { return filepath.Abs(p) }

// lastLines returns at most n last lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
