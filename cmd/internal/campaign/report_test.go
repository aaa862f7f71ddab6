package campaign

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestSummaryExitStatus(t *testing.T) {
	c := &config{describe: "reference servers (in process)", seed: 7, checks: 10, fuzzTime: time.Second}
	ok := result{name: "fuzz.FuzzA", status: passed, took: time.Second}
	skip := result{name: "fuzz.FuzzB", status: skipped, note: "left out"}
	bad := result{name: "fuzz.FuzzC", status: broken, note: "the build failed"}
	fail := result{name: "fuzz.TestProperties", status: failed, findings: []finding{{
		name: "property P", headline: "failed after 3 tests: boom", stays: []string{"fuzz/testdata/failures/P.json"},
		rerun: "go test ./fuzz -run='^TestProperties$/^P$' -rapid.seed=3", replay: "go run ./cmd/replay -count 3 -script /m/P.json",
	}}}
	for _, tc := range []struct {
		name    string
		results []result
		want    int
	}{
		{"all passed, one left out", []result{ok, skip}, 0},
		{"one broken", []result{ok, bad}, 2},
		{"one failed, one broken", []result{fail, bad}, 1},
		{"nothing ran", nil, 0},
		{"one stopped at the budget", []result{ok, {name: "fuzz.TestProperties", status: cut, note: "stopped at -budget 1m"}}, 0},
	} {
		var b bytes.Buffer
		if got := summary(&b, c, tc.results, nil, time.Minute, false); got != tc.want {
			t.Errorf("%s: exit status %d, want %d\n%s", tc.name, got, tc.want, b.String())
		}
	}
	var b bytes.Buffer
	summary(&b, c, []result{fail}, []string{"/m/Q.unconfirmed.json"}, time.Minute, false)
	for _, want := range []string{
		"target:    reference servers (in process)",
		"repeat with RAPID_SEED=7",
		"FAIL   fuzz.TestProperties",
		"property P: failed after 3 tests: boom",
		"  stays in: fuzz/testdata/failures/P.json",
		"  re-run:   go test ./fuzz -run='^TestProperties$/^P$' -rapid.seed=3",
		"  replay:   go run ./cmd/replay -count 3 -script /m/P.json",
		"unconfirmed (failed once, not again; not counted)",
		"/m/Q.unconfirmed.json",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if got := summary(&bytes.Buffer{}, c, []result{ok}, nil, time.Second, true); got != 2 {
		t.Errorf("interrupted campaign: exit status %d, want 2", got)
	}
	b.Reset()
	summary(&b, c, []result{ok, {name: "fuzz.TestProperties", status: cut, took: time.Second, note: "stopped at -budget 1m0s after 40s, having found nothing by then"}}, nil, time.Minute, false)
	for _, want := range []string{"  cut    fuzz.TestProperties", "having found nothing by then", "1 stopped at -budget"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary of a run cut at the budget lacks %q:\n%s", want, b.String())
		}
	}
}

func TestStoppedEarly(t *testing.T) {
	stream := `{"Action":"run","Test":"TestProperties/TCPScripts"}
{"Action":"output","Test":"TestProperties/TCPScripts","Output":"    props_test.go:32: the run's time is up: stopped after 12 cases, none failing\n"}
{"Action":"skip","Test":"TestProperties/TCPScripts","Elapsed":30}
{"Action":"run","Test":"TestProperties/UDPScripts"}
{"Action":"output","Test":"TestProperties/UDPScripts","Output":"    props_test.go:25: checks UDP-ROUNDTRIP\n"}
{"Action":"pass","Test":"TestProperties/UDPScripts","Elapsed":3}
`
	got := stoppedEarly(parseEvents(strings.NewReader(stream)))
	if want := "TCPScripts: the run's time is up: stopped after 12 cases, none failing"; got != want {
		t.Errorf("stoppedEarly = %q, want %q", got, want)
	}
}
