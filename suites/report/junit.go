package report

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/upcheck/upcheck/suites/check"
)

// JUnit returns the report as JUnit XML, the format CI systems (GitHub
// Actions' test reporters, GitLab, Jenkins, Azure Pipelines) read: one
// <testsuites> holding one <testsuite> named after the target, whose
// properties are the target, seed and version, with one <testcase> per
// requirement, in the report's order: name the requirement ID, classname
// "upcheck.tcp" or "upcheck.udp", time 0 (the report judges requirements,
// not timed tests). The statuses map to:
//
//   - pass: a bare test case (an observation goes to <system-out>);
//   - fail and xpass: <failure>, its message the observed and expected
//     behaviour (for xpass, the line that asks to remove the expected
//     failure), its body the evidence; type is the requirement's level;
//   - error: <error>, the same way: the harness could not judge;
//   - skip: <skipped> with why;
//   - xfail: <skipped> with "expected failure" and the reason, the body
//     the observed, expected and evidence: it does not fail the run, as
//     pytest reports its xfail;
//   - not-judged: <skipped> naming the requirement that failed in its
//     stead (which has its own <failure>), so that one fault is counted
//     once.
//
// A SHOULD requirement that failed is a <failure> like a MUST one: CI
// readers show it, and the exit status, which only a MUST failure sets,
// is the run's verdict.
func (r Report) JUnit() ([]byte, error) {
	suite := junitSuite{
		Name: "upcheck conformance: " + r.Target,
		Properties: []junitProperty{
			{Name: "target", Value: r.Target},
			{Name: "seed", Value: fmt.Sprint(r.Seed)},
			{Name: "version", Value: r.Version},
		},
		Time: "0",
	}
	if r.HarnessError != "" {
		suite.Properties = append(suite.Properties, junitProperty{Name: "harness_error", Value: r.HarnessError})
	}
	for i, n := range r.Notes {
		suite.Properties = append(suite.Properties, junitProperty{Name: fmt.Sprintf("note_%d", i+1), Value: n})
	}
	for _, q := range r.Requirements {
		tc := junitCase{Name: q.ID, Classname: classname(q.ID), Time: "0"}
		body := details(q)
		switch q.Status {
		case Pass:
			tc.SystemOut = body
		case Fail:
			tc.Failure = &junitProblem{Message: headline(q), Type: string(q.Level), Body: body}
			suite.Failures++
		case XPass:
			tc.Failure = &junitProblem{Message: XPassMessage(q.ID), Type: string(q.Level), Body: strings.TrimSpace("expected failure: " + q.Reason)}
			suite.Failures++
		case Error:
			tc.Error = &junitProblem{Message: headline(q), Type: "harness", Body: body}
			suite.Errors++
		case XFail:
			msg := "expected failure"
			if q.Reason != "" {
				msg += ": " + q.Reason
			}
			tc.Skipped = &junitProblem{Message: msg, Body: body}
			suite.Skipped++
		default: // skip, not-judged, and statuses of later versions
			tc.Skipped = &junitProblem{Message: cmpOr(q.Observed, string(q.Status)), Body: body}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	all := junitSuites{Name: "upcheck conformance", Tests: suite.Tests, Failures: suite.Failures,
		Errors: suite.Errors, Skipped: suite.Skipped, Time: "0", Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: junit: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// headline is a failure's one-line message: what was observed and what
// was expected.
func headline(q Requirement) string {
	var parts []string
	if q.Observed != "" {
		parts = append(parts, "observed: "+q.Observed)
	}
	if q.Expected != "" {
		parts = append(parts, "expected: "+q.Expected)
	}
	if len(parts) == 0 {
		return string(q.Status)
	}
	return strings.Join(parts, "; ")
}

// details is the body of a test case: its observed, expected and evidence
// texts, one to a line, those it has.
func details(q Requirement) string {
	var lines []string
	for _, kv := range [][2]string{{"observed", q.Observed}, {"expected", q.Expected}, {"evidence", q.Evidence}} {
		if kv[1] != "" {
			lines = append(lines, kv[0]+": "+kv[1])
		}
	}
	return strings.Join(lines, "\n")
}

// classname groups the requirements by protocol: "upcheck.tcp".
func classname(id string) string {
	if req, ok := check.Lookup(id); ok && req.Proto != "" {
		return "upcheck." + req.Proto
	}
	proto, _, _ := strings.Cut(id, "-")
	return "upcheck." + strings.ToLower(proto)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitProblem `xml:"skipped"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitProblem is a <failure>, <error> or <skipped>: a message attribute,
// a type, and the details as the element's text.
type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}
