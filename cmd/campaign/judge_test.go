package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseList(t *testing.T) {
	out := "ok  \texample.com/m/a\t0.01s\n" +
		"rapid: seed 1, 25 checks per property\n" +
		"FuzzOne\nFuzzTwo\n" +
		"ok  \texample.com/m/b\t0.02s\n" +
		"FuzzThree\n" +
		"ok  \texample.com/m/c\t0.02s\n"
	dirs := map[string]string{"example.com/m/b": "/m/b", "example.com/m/c": "/m/c"}
	got := parseList(out, dirs, regexp.MustCompile("One|Three"))
	want := []fuzzTarget{{"example.com/m/b", "/m/b", "FuzzOne"}, {"example.com/m/c", "/m/c", "FuzzThree"}}
	if len(got) != len(want) {
		t.Fatalf("parseList = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// Outputs of go test -fuzz, trimmed to what judgeFuzz reads.
const (
	spuriousOut = `fuzz: elapsed: 6s, execs: 120 (20/sec), new interesting: 0 (total: 3)
--- FAIL: FuzzExample (6.22s)
    context deadline exceeded
FAIL
exit status 1
FAIL	example.com/m/fuzz	6.341s
`
	crashOut = `fuzz: minimizing 87-byte failing input file
--- FAIL: FuzzExample (40.82s)
    --- FAIL: FuzzExample (0.10s)
        env.go:60: tcp conn 0: 127.0.0.1:56528 -> 127.0.0.1:36881
        judge.go:236: server output:
            mutantd: server died: panic: runtime error
        judge.go:236: replay: UPCHECK_SERVER_CMD='x {tcp}' go run ./cmd/replay -count 3 -script /m/fuzz/testdata/failures/FuzzExample.json
        judge.go:63: server exited (status 1) while checking FuzzExample
    
    Failing input written to testdata/fuzz/FuzzExample/e24e6a50335ee9f2
    To re-run:
    go test -run=FuzzExample/e24e6a50335ee9f2
FAIL
exit status 1
FAIL	example.com/m/fuzz	40.916s
`
	entryOut = `--- FAIL: FuzzExample (0.02s)
    --- FAIL: FuzzExample/seed#3 (0.00s)
        upper_test.go:130: UpperASCII(7a) = 7a, want 5a
FAIL
exit status 1
FAIL	example.com/m/fuzz	0.05s
`
	buildOut = `# example.com/m/fuzz
fuzz/x.go:3:1: syntax error
FAIL	example.com/m/fuzz [build failed]
`
)

func TestJudgeFuzz(t *testing.T) {
	c := &config{dir: "/m"}
	tgt := fuzzTarget{pkg: "example.com/m/fuzz", dir: "/m/fuzz", name: "FuzzExample"}

	if st, note, _ := judgeFuzz(c, tgt, spuriousOut, 1, nil); st != passed || !strings.Contains(note, "75804") {
		t.Errorf("spurious deadline: %v %q, want a pass that says why", st, note)
	}
	if st, _, _ := judgeFuzz(c, tgt, spuriousOut, 1, []string{"abc"}); st == passed {
		t.Errorf("deadline with a new corpus file: a pass, want it not ignored")
	}

	st, _, fs := judgeFuzz(c, tgt, crashOut, 1, []string{"e24e6a50335ee9f2"})
	if st != failed || len(fs) != 1 {
		t.Fatalf("crash: %v with %d findings, want one failure", st, len(fs))
	}
	f := fs[0]
	if f.headline != "server exited (status 1) while checking FuzzExample" {
		t.Errorf("headline %q", f.headline)
	}
	if len(f.stays) != 1 || f.stays[0] != filepath.FromSlash("fuzz/testdata/fuzz/FuzzExample/e24e6a50335ee9f2") {
		t.Errorf("stays %v", f.stays)
	}
	if f.rerun != "go test -run='^FuzzExample$/^e24e6a50335ee9f2$' ./fuzz" {
		t.Errorf("rerun %q", f.rerun)
	}
	if f.replay != "UPCHECK_SERVER_CMD='x {tcp}' go run ./cmd/replay -count 3 -script /m/fuzz/testdata/failures/FuzzExample.json" {
		t.Errorf("replay %q", f.replay)
	}

	st, _, fs = judgeFuzz(c, tgt, entryOut, 1, nil)
	if st != failed || len(fs) != 1 || fs[0].headline != "UpperASCII(7a) = 7a, want 5a" || !strings.Contains(fs[0].rerun, "^seed#3$") {
		t.Errorf("failing corpus entry: %v %+v", st, fs)
	}

	if st, _, _ := judgeFuzz(c, tgt, buildOut, 1, nil); st != broken {
		t.Errorf("build failure: %v, want broken", st)
	}
	if st, _, _ := judgeFuzz(c, tgt, "ok\n", 0, nil); st != passed {
		t.Errorf("exit 0: %v, want passed", st)
	}
}

const propertiesOut = `=== RUN   TestProperties
=== RUN   TestProperties/TCPScripts
    props_test.go:14: checks TCP-ROUNDTRIP
    props_test.go:20: [rapid] failed after 12 tests: server exited (status 1) while checking TCPScripts
        To reproduce, specify -run="TestProperties/TCPScripts" -rapid.failfile="testdata/rapid/TestProperties_TCPScripts/TestProperties_TCPScripts-20261126-015000-1.fail" (or -rapid.seed=87)
        Failed test output:
    judge.go:52: replay: go run ./cmd/replay -count 3 -script /m/fuzz/testdata/failures/TCPScripts.json
    judge.go:63: server exited (status 1) while checking TCPScripts
=== RUN   TestProperties/UDPScripts
    props_test.go:14: checks UDP-ROUNDTRIP
    props_test.go:20: [rapid] OK, passed 50 tests (15s)
--- FAIL: TestProperties (20.10s)
    --- FAIL: TestProperties/TCPScripts (5.00s)
    --- PASS: TestProperties/UDPScripts (15.10s)
FAIL
FAIL	example.com/m/fuzz	20.2s
`

func TestJudgeProperties(t *testing.T) {
	c := &config{dir: "/m"}
	st, _, fs := judgeProperties(c, propertiesOut, 1)
	if st != failed || len(fs) != 1 {
		t.Fatalf("%v with %d findings, want one failure", st, len(fs))
	}
	f := fs[0]
	if f.name != "property TCPScripts" || f.headline != "failed after 12 tests: server exited (status 1) while checking TCPScripts" {
		t.Errorf("finding %q: %q", f.name, f.headline)
	}
	wantStays := []string{
		filepath.FromSlash("fuzz/testdata/rapid/TestProperties_TCPScripts/TestProperties_TCPScripts-20261126-015000-1.fail"),
		filepath.FromSlash("fuzz/testdata/failures/TCPScripts.json"),
	}
	if strings.Join(f.stays, " ") != strings.Join(wantStays, " ") {
		t.Errorf("stays %v, want %v", f.stays, wantStays)
	}
	if !strings.Contains(f.rerun, "-rapid.failfile=testdata/rapid/TestProperties_TCPScripts/") || !strings.HasPrefix(f.rerun, "go test ./fuzz -run='^TestProperties$/^TCPScripts$'") {
		t.Errorf("rerun %q", f.rerun)
	}
	if f.replay != "go run ./cmd/replay -count 3 -script /m/fuzz/testdata/failures/TCPScripts.json" {
		t.Errorf("replay %q", f.replay)
	}

	noFile := strings.Replace(propertiesOut, `-rapid.failfile="testdata/rapid/TestProperties_TCPScripts/TestProperties_TCPScripts-20261126-015000-1.fail" (or -rapid.seed=87)`, "-rapid.seed=87", 1)
	if _, _, fs := judgeProperties(c, noFile, 1); len(fs) != 1 || !strings.HasSuffix(fs[0].rerun, "-rapid.seed=87") {
		t.Errorf("without a fail file: %+v, want a re-run by seed", fs)
	}
	if st, note, _ := judgeProperties(c, "--- FAIL: TestProperties (0.01s)\n    props_test.go:9: harness error: UPCHECK_TCP: nothing listens\n", 1); st != broken || !strings.HasPrefix(note, "harness error:") {
		t.Errorf("harness error: %v %q, want broken", st, note)
	}
}

func TestUnconfirmedSince(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"TCPScripts.unconfirmed.json", "TCPScripts.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := unconfirmedSince(&config{failures: dir}, time.Now())
	if len(got) != 1 || filepath.Base(got[0]) != "TCPScripts.unconfirmed.json" {
		t.Errorf("unconfirmedSince = %v, want the unconfirmed case only", got)
	}
}
