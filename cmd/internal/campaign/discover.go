package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	out, err = goOutput(ctx, c, append([]string{"test", "-json", "-list", "^Fuzz"}, candidates...)...)
	if err != nil {
		return nil, err
	}
	match, _ := compile(c.targets)
	ts := parseList(strings.NewReader(out), candidates, dirs, match)
	if c.targets == defaultTargets {
		// The fixtures of the harness's own tests run only when named.
		ts = slices.DeleteFunc(ts, func(t fuzzTarget) bool { return fuzzspec.IsFixture(t.pkg, t.name) })
	}
	return ts, nil
}

// listedName is a line of go test -list naming a fuzz target.
var listedName = regexp.MustCompile(`^Fuzz\w*$`)

// parseList reads go test -json -list '^Fuzz' over pkgs and returns their
// targets whose names match, in the order of pkgs: each package's output
// names its targets, a line each, among what else it prints (a TestMain's
// lines, go test's verdict).
func parseList(r io.Reader, pkgs []string, dirs map[string]string, match *regexp.Regexp) []fuzzTarget {
	names := map[string][]string{}
	dec := json.NewDecoder(r)
	for {
		var e event
		if err := dec.Decode(&e); err != nil {
			break
		}
		if n := strings.TrimSpace(e.Output); e.Action == "output" && e.Test == "" && listedName.MatchString(n) && match.MatchString(n) {
			names[e.Package] = append(names[e.Package], n)
		}
	}
	var ts []fuzzTarget
	for _, pkg := range pkgs {
		for _, n := range names[pkg] {
			ts = append(ts, fuzzTarget{pkg: pkg, dir: dirs[pkg], name: n})
		}
	}
	return ts
}

// goOutput runs the go command in the module root and returns its standard
// output, or an error with the last of what it said.
func goOutput(ctx context.Context, c *config, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.goCmd, args...)
	cmd.Dir = c.dir
	cmd.Env = runEnv(c)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// go test -json reports a build that failed on standard output.
		why := stderr.String()
		if strings.TrimSpace(why) == "" {
			why = parseEvents(bytes.NewReader(out)).all()
		}
		return "", fmt.Errorf("%s %s: %v\n%s", c.goCmd, strings.Join(args, " "), err, lastLines(why, 20))
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
