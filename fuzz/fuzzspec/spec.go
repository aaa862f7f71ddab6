package fuzzspec

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/upcheck/upcheck/suites/target"
)

// FailureDir is where properties and fuzz targets write the cases they fail
// on, relative to the package directory the test runs in (fuzz/ in the
// module); FailuresEnv overrides it.
const FailureDir = "testdata/failures"

// FailuresEnv names the variable that holds another directory for the
// failing cases.
const FailuresEnv = "UPCHECK_FUZZ_FAILURES"

// UnconfirmedSuffix ends the name of a case saved as unconfirmed: it failed
// once and not again. The file is <name>.unconfirmed.json.
const UnconfirmedSuffix = ".unconfirmed"

// ReplayCommand is the one command that replays the case at path against
// the target of this process's UPCHECK_* settings, from the module root. It
// runs the case up to 3 times, as the fuzzers do before they report a
// failure, so that a server that fails on the case only now and then shows
// it.
func ReplayCommand(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return TargetPrefix() + "go run ./cmd/replay -count 3 -script " + ShellQuote(path)
}

// TargetPrefix is the target of this process's UPCHECK_* settings (but the
// report's) as a shell prefix, "UPCHECK_SERVER_CMD='...' ", for the
// commands the fuzzers print; settings that do not parse are left out
// (they were reported where they were read).
func TargetPrefix() string {
	s, _ := target.FromEnv()
	s.Report = ""
	var b strings.Builder
	for _, kv := range s.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString(k + "=" + ShellQuote(v) + " ")
	}
	return b.String()
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,+-]+$`)

// ShellQuote returns s as one word of a POSIX shell command line: as it is
// when it holds no character the shell treats specially, else in single
// quotes.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Module is the import path of upcheck's module.
const Module = "github.com/upcheck/upcheck"

// Fixtures are the native fuzz targets that exist for a test of the
// harness itself, not to fuzz a server, keyed "package-dir.FuzzName"
// (the package's directory from the module root), with why. Campaigns
// and the libFuzzer build leave them out.
var Fixtures = map[string]string{
	"suites/lifetime.FuzzServerCommand": "the lifetime tests' fuzz worker, killed by the engine to show its server goes with it; it skips unless those tests run it",
}

// IsFixture reports whether the fuzz target name of the package with import
// path pkg is one of the Fixtures.
func IsFixture(pkg, name string) bool {
	_, ok := Fixtures[strings.TrimPrefix(strings.TrimPrefix(pkg, Module), "/")+"."+name]
	return ok
}
