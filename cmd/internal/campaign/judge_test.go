package campaign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/target"
)

// The streams under testdata/gotest were recorded from go test -json runs
// of small packages made to end each way (testdata/gotest/README.md), with
// the Time of each event left out.

// recorded returns the run of a recorded stream.
func recorded(t *testing.T, name string) *testRun {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gotest", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseEvents(f)
}

// noTarget clears the target settings, which the printed commands repeat.
func noTarget(t *testing.T) {
	for _, k := range target.TargetEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestJudgeFuzz(t *testing.T) {
	noTarget(t)
	root := t.TempDir()
	c := &config{dir: root}
	// The corpus file that fails in fuzz-corpus-file-fails.jsonl.
	corpus := filepath.Join(root, "fuzz", "testdata", "fuzz", "FuzzCrash")
	if err := os.MkdirAll(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(corpus, "0badc0de"), []byte("go test fuzz v1\n[]byte(\"\\xff\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const crashReplay = "go run ./cmd/replay -count 3 -script /m/testdata/failures/FuzzCrash.json"
	for _, tc := range []struct {
		stream, target string
		code           int
		added          []string
		status         status
		note           string // a prefix of the note
		findings       []finding
	}{
		{stream: "fuzz-pass.jsonl", target: "FuzzSlow", code: 0, status: passed},
		{stream: "fuzz-crash.jsonl", target: "FuzzCrash", code: 1, added: []string{"e3443030b91d09bb"}, status: failed,
			findings: []finding{{
				name: "fuzz.FuzzCrash", headline: "server exited (status 1) while checking FuzzCrash",
				stays:  []string{filepath.FromSlash("fuzz/testdata/fuzz/FuzzCrash/e3443030b91d09bb")},
				rerun:  "go test -run='^FuzzCrash$/^e3443030b91d09bb$' ./fuzz",
				replay: crashReplay,
			}}},
		{stream: "fuzz-seed-fails.jsonl", target: "FuzzEntry", code: 1, status: failed,
			findings: []finding{{
				name: "fuzz.FuzzEntry", headline: "UpperASCII(7a) = 7a, want 5a",
				rerun: "go test -run='^FuzzEntry$/^seed#1$' ./fuzz",
			}}},
		{stream: "fuzz-seed-fails-without-fuzz.jsonl", target: "FuzzEntry", code: 1, status: failed,
			findings: []finding{{
				name: "fuzz.FuzzEntry", headline: "UpperASCII(7a) = 7a, want 5a",
				rerun: "go test -run='^FuzzEntry$/^seed#1$' ./fuzz",
			}}},
		{stream: "fuzz-corpus-file-fails.jsonl", target: "FuzzCrash", code: 1, status: failed,
			findings: []finding{{
				name: "fuzz.FuzzCrash", headline: "server exited (status 1) while checking FuzzCrash",
				stays:  []string{filepath.FromSlash("fuzz/testdata/fuzz/FuzzCrash/0badc0de")},
				rerun:  "go test -run='^FuzzCrash$/^0badc0de$' ./fuzz",
				replay: crashReplay,
			}}},
		{stream: "fuzz-deadline-exceeded.jsonl", target: "FuzzQuiet", code: 1, status: passed,
			note: `go ended the run with "context deadline exceeded" and no failing input (golang/go#75804): counted as a pass`},
		// The same end with a new file in the corpus is not ignored.
		{stream: "fuzz-deadline-exceeded.jsonl", target: "FuzzQuiet", code: 1, added: []string{"abc"}, status: failed,
			findings: []finding{{name: "fuzz.FuzzQuiet"}}},
		{stream: "fuzz-harness-error.jsonl", target: "FuzzTCPStream", code: 1, status: broken,
			note: "harness error: UPCHECK_TCP 127.0.0.1:1: nothing listens"},
		{stream: "build-failed.jsonl", target: "FuzzB", code: 1, status: broken,
			note: "the build failed: # example.com/b [example.com/b.test]"},
		{stream: "setup-failed.jsonl", target: "FuzzB", code: 1, status: broken,
			note: "the build failed: # ./nosuch"},
		{stream: "testmain-exits.jsonl", target: "FuzzX", code: 1, status: broken,
			note: `go test failed without a test failure: fuzz: RAPID_CHECKS="many": invalid value`},
	} {
		tgt := fuzzTarget{pkg: "example.com/m/fuzz", dir: filepath.Join(root, "fuzz"), name: tc.target}
		st, note, fs := judgeFuzz(c, tgt, recorded(t, tc.stream), tc.code, tc.added)
		what := tc.stream
		if tc.added != nil {
			what += " with a new corpus file"
		}
		checkJudged(t, what, st, note, fs, tc.status, tc.note, tc.findings)
	}
}

func TestJudgeProperties(t *testing.T) {
	noTarget(t)
	c := &config{dir: "/m"}
	const replay = "go run ./cmd/replay -count 3 -script /m/testdata/failures/TCPScripts.json"
	tcp := finding{
		name:     "property TCPScripts",
		headline: "failed after 0 tests: server exited (status 1) while checking TCPScripts",
		replay:   replay,
	}
	withFile, withSeed := tcp, tcp
	withFile.stays = []string{
		filepath.FromSlash("fuzz/testdata/rapid/TestProperties_TCPScripts/TestProperties_TCPScripts-20261202163541-23388.fail"),
		filepath.FromSlash("testdata/failures/TCPScripts.json"),
	}
	withFile.rerun = "go test ./fuzz -run='^TestProperties$/^TCPScripts$' -rapid.failfile=testdata/rapid/TestProperties_TCPScripts/TestProperties_TCPScripts-20261202163541-23388.fail"
	withSeed.stays = []string{filepath.FromSlash("testdata/failures/TCPScripts.json")}
	withSeed.rerun = "go test ./fuzz -run='^TestProperties$/^TCPScripts$' -rapid.seed=87"
	for _, tc := range []struct {
		stream   string
		code     int
		status   status
		note     string
		findings []finding
	}{
		{stream: "properties-failfile.jsonl", code: 1, status: failed, findings: []finding{withFile}},
		{stream: "properties-seed.jsonl", code: 1, status: failed, findings: []finding{withSeed}},
		{stream: "properties-failfile.jsonl", code: 0, status: passed},
		{stream: "properties-harness-error.jsonl", code: 1, status: broken, note: "harness error: UPCHECK_TCP 127.0.0.1:1: nothing listens"},
		{stream: "build-failed.jsonl", code: 1, status: broken, note: "the build failed: # example.com/b [example.com/b.test]"},
		{stream: "testmain-exits.jsonl", code: 1, status: broken, note: `go test failed without a property failure: fuzz: RAPID_CHECKS="many"`},
	} {
		st, note, fs := judgeProperties(c, recorded(t, tc.stream), tc.code)
		checkJudged(t, tc.stream, st, note, fs, tc.status, tc.note, tc.findings)
	}
}

// checkJudged compares a judgement with the one wanted; the note wanted is
// a prefix of the note.
func checkJudged(t *testing.T, what string, st status, note string, fs []finding, wantSt status, wantNote string, want []finding) {
	t.Helper()
	if st != wantSt || !strings.HasPrefix(note, wantNote) || (wantNote == "" && note != "") {
		t.Errorf("%s: %v %q, want %v %q", what, st, note, wantSt, wantNote)
	}
	if len(fs) != len(want) {
		t.Errorf("%s: %d findings %+v, want %d", what, len(fs), fs, len(want))
		return
	}
	for i, f := range fs {
		w := want[i]
		if f.name != w.name || f.headline != w.headline || strings.Join(f.stays, "\n") != strings.Join(w.stays, "\n") ||
			f.rerun != w.rerun || f.replay != w.replay {
			t.Errorf("%s: finding %d\n got %+v\nwant %+v", what, i, f, w)
		}
	}
}

func TestLogged(t *testing.T) {
	for _, c := range []struct {
		line, text string
		ok         bool
	}{
		{"    judge.go:63: server exited (status 1)", "server exited (status 1)", true},
		{"        props_test.go:20: [rapid] failed after 12 tests: x: y", "[rapid] failed after 12 tests: x: y", true},
		{"    x_test.go:9:", "", true},
		{"judge.go:63: not indented", "", false},
		{"    context deadline exceeded", "", false},
		{"        To reproduce, specify -run=\"TestProperties/P\" -rapid.seed=87", "", false},
		{"        Failed test output:", "", false},
		{"    see judge.go:x: text", "", false},
	} {
		text, ok := logged(c.line)
		if text != c.text || ok != c.ok {
			t.Errorf("logged(%q) = %q, %v; want %q, %v", c.line, text, ok, c.text, c.ok)
		}
	}
}

func TestRapidLines(t *testing.T) {
	out := "    p_test.go:20: [rapid] panic after 3 tests: boom\n" +
		"        To reproduce, specify -run=\"TestProperties/P\" -rapid.failfile=\"testdata/rapid/P/P-1.fail\" (or -rapid.seed=42)\n"
	if got := rapidHeadline(out); got != "panic after 3 tests: boom" {
		t.Errorf("rapidHeadline = %q", got)
	}
	if got := rapidFailFile(out); got != "testdata/rapid/P/P-1.fail" {
		t.Errorf("rapidFailFile = %q", got)
	}
	if got := rapidSeed(out); got != "42" {
		t.Errorf("rapidSeed = %q", got)
	}
	if got := rapidHeadline("    p_test.go:20: [rapid] flaky test, can not reproduce a failure\n"); got != "flaky test, can not reproduce a failure" {
		t.Errorf("rapidHeadline of a flaky test = %q", got)
	}
	if got := rapidHeadline("    p_test.go:20: [rapid] OK, passed 50 tests (15s)\n"); got != "" {
		t.Errorf("rapidHeadline of a pass = %q, want none", got)
	}
}
