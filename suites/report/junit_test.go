package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

// The JUnit shape CI readers expect, read back with the schema's names
// only (not the writer's structs).
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
	Props    []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []xCase `xml:"testcase"`
}

type xCase struct {
	Name      string  `xml:"name,attr"`
	Classname string  `xml:"classname,attr"`
	Time      string  `xml:"time,attr"`
	Failure   *xProbl `xml:"failure"`
	Error     *xProbl `xml:"error"`
	Skipped   *xProbl `xml:"skipped"`
	SystemOut string  `xml:"system-out"`
}

type xProbl struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func TestJUnit(t *testing.T) {
	hostile := "got \x00\x1b<&>\"'\xff]]>"
	bytesV := &check.Violation{ID: "TCP-BYTES", Case: "all 256", Expected: "upper(request)", Observed: hostile, Where: "offset 3"}
	specs := passingSuite()
	specs = append(specs, spec("bytes", "TCP-BYTES", 99, types.SpecStateFailed, &Outcome{ID: "TCP-BYTES", Violations: check.Violations{bytesV}}))
	r := Build(waivedSuite(), "command: srv {tcp} {udp}")
	r2 := Build(suite(specs...), "t")
	r.Requirements[1] = r2.Requirements[1] // TCP-BYTES fails
	r.Expect(map[string]string{"TCP-EOF": "resets on a half-close", "UDP-ONCE": ""})
	set := func(id string, s Status, obs string) {
		for i := range r.Requirements {
			if r.Requirements[i].ID == id {
				r.Requirements[i].Status, r.Requirements[i].Observed = s, obs
			}
		}
	}
	set("UDP-SIZE", Error, "not judged: the spec timed out")
	set("UDP-SOURCE", Skip, "UDP not configured: TCP-only target")
	b, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", b)
	}
	var got xSuites
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b)
	}
	if len(got.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(got.Suites))
	}
	s := got.Suites[0]
	if len(s.Cases) != len(check.Requirements) || s.Tests != len(check.Requirements) || got.Tests != s.Tests {
		t.Fatalf("%d cases, tests=%d/%d, want one per requirement", len(s.Cases), s.Tests, got.Tests)
	}
	// Counts: TCP-BYTES fails, UDP-ONCE passed unexpectedly; UDP-SIZE
	// errored; TCP-EOF (xfail), TCP-STREAM (not judged) and UDP-SOURCE
	// skipped.
	if s.Failures != 2 || s.Errors != 1 || s.Skipped != 3 || got.Failures != 2 || got.Errors != 1 || got.Skipped != 3 {
		t.Errorf("counts failures=%d errors=%d skipped=%d (testsuites %d %d %d), want 2 1 3", s.Failures, s.Errors, s.Skipped, got.Failures, got.Errors, got.Skipped)
	}
	if !strings.Contains(s.Name, "command: srv {tcp} {udp}") || s.Time == "" {
		t.Errorf("suite name %q, time %q", s.Name, s.Time)
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	if props["target"] != r.Target || props["seed"] != "4242" || props["version"] == "" {
		t.Errorf("properties %v", props)
	}
	cases := map[string]xCase{}
	for i, c := range s.Cases {
		if c.Name != check.Requirements[i].ID || c.Time == "" {
			t.Errorf("case %d = %q (time %q), want %s", i, c.Name, c.Time, check.Requirements[i].ID)
		}
		want := "upcheck." + check.Requirements[i].Proto
		if c.Classname != want {
			t.Errorf("%s classname %q, want %q", c.Name, c.Classname, want)
		}
		n := 0
		for _, p := range []*xProbl{c.Failure, c.Error, c.Skipped} {
			if p != nil {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s has %d of failure, error and skipped", c.Name, n)
		}
		cases[c.Name] = c
	}
	if c := cases["TCP-ROUNDTRIP"]; c.Failure != nil || c.Error != nil || c.Skipped != nil {
		t.Errorf("a passing requirement is a bare case: %+v", c)
	}
	f := cases["TCP-BYTES"].Failure
	if f == nil || f.Type != "MUST" || !strings.HasPrefix(f.Message, "observed: got ") || !strings.HasSuffix(f.Message, "; expected: upper(request)") ||
		!strings.Contains(f.Body, "evidence: all 256; offset 3\n") || !strings.Contains(f.Body, "<&>\"'") {
		t.Errorf("TCP-BYTES failure = %+v", f)
	}
	if f := cases["UDP-ONCE"].Failure; f == nil || f.Message != "UDP-ONCE passes now: remove it from the expected failures" {
		t.Errorf("xpass = %+v", f)
	}
	if e := cases["UDP-SIZE"].Error; e == nil || e.Message != "observed: not judged: the spec timed out" {
		t.Errorf("error = %+v", e)
	}
	if sk := cases["TCP-EOF"].Skipped; sk == nil || sk.Message != "expected failure: resets on a half-close" || !strings.Contains(sk.Body, "observed: a reset instead of an orderly close") {
		t.Errorf("xfail = %+v", sk)
	}
	if sk := cases["TCP-STREAM"].Skipped; sk == nil || sk.Message != "not judged: needs TCP-EOF" {
		t.Errorf("not-judged = %+v", sk)
	}
	if sk := cases["UDP-SOURCE"].Skipped; sk == nil || sk.Message != "UDP not configured: TCP-only target" {
		t.Errorf("skip = %+v", sk)
	}
	if c := cases["TCP-EMPTYWRITE"]; !strings.HasPrefix(c.SystemOut, "observed: no reply to the zero-length write\nevidence: ") {
		t.Errorf("INFO observation %q, want it in system-out", c.SystemOut)
	}
}

func TestJUnitHarnessError(t *testing.T) {
	r := Build(suite(passingSuite()...), "t")
	r.HarnessError = "UPCHECK_TCP: \"x\" is not host:port"
	for i := range r.Requirements {
		r.Requirements[i].Status = Error
		r.Requirements[i].Observed = "not judged: " + r.HarnessError
	}
	b, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	var got xSuites
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Errors != len(check.Requirements) || !strings.Contains(string(b), `<property name="harness_error" value="UPCHECK_TCP: &#34;x&#34; is not host:port">`) {
		t.Errorf("errors=%d, want every case an error and the harness error a property:\n%s", got.Errors, b)
	}
}

// TestJUnitReadsAsGinkgos reads the XML back with ginkgo's own JUnit
// types, another reader of the format (time as a number of seconds).
func TestJUnitReadsAsGinkgos(t *testing.T) {
	r := Build(waivedSuite(), "t")
	r.Expect(map[string]string{"TCP-EOF": "known"})
	b, err := r.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	var got reporters.JUnitTestSuites
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatalf("ginkgo's JUnit types do not read it: %v", err)
	}
	if got.Tests != len(check.Requirements) || len(got.TestSuites) != 1 || len(got.TestSuites[0].TestCases) != len(check.Requirements) {
		t.Fatalf("read %d tests in %d suites", got.Tests, len(got.TestSuites))
	}
	s := got.TestSuites[0]
	if s.Skipped != 2 || s.Failures != 0 || s.Errors != 0 {
		t.Errorf("skipped=%d failures=%d errors=%d, want 2 0 0 (xfail and not-judged)", s.Skipped, s.Failures, s.Errors)
	}
	if c := s.TestCases[3]; c.Name != "TCP-EOF" || c.Skipped == nil || c.Skipped.Message != "expected failure: known" {
		t.Errorf("TCP-EOF = %+v", c)
	}
}
