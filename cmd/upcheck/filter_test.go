package main

import (
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
)

func TestLabelFilter(t *testing.T) {
	for _, tc := range []struct{ only, skip, want, err string }{
		{"", "", "", ""},
		{"TCP-EOF", "", "(TCP-EOF)", ""},
		{"tcp-eof, UDP", "", "(TCP-EOF || udp)", ""},
		{"", "TCP-CHURN,udp-survive", "!TCP-CHURN && !UDP-SURVIVE", ""},
		{"tcp", "TCP-CHURN", "(tcp) && !TCP-CHURN", ""},
		{"TCP-EOF,,", "", "(TCP-EOF)", ""},
		{"TCP-NOPE", "", "", `-only: "TCP-NOPE" is neither`},
		{"", "sctp", "", `-skip: "sctp" is neither`},
	} {
		got, err := labelFilter(tc.only, tc.skip)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("labelFilter(%q, %q) = %q, %v; want an error with %q", tc.only, tc.skip, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("labelFilter(%q, %q) = %q, %v; want %q", tc.only, tc.skip, got, err, tc.want)
		}
	}
}

func TestExitStatus(t *testing.T) {
	req := func(id string, st report.Status) report.Requirement {
		r, _ := check.Lookup(id)
		return report.Requirement{ID: id, Level: r.Level, Status: st}
	}
	for _, tc := range []struct {
		name   string
		rep    report.Report
		failed bool
		want   int
	}{
		{"all pass", report.Report{Requirements: []report.Requirement{req("TCP-EOF", report.Pass), req("UDP-SOURCE", report.Skip)}}, false, exitPass},
		{"a MUST fails", report.Report{Requirements: []report.Requirement{req("TCP-EOF", report.Fail), req("UDP-SOURCE", report.Error)}}, true, exitFail},
		{"an INFO finding", report.Report{Requirements: []report.Requirement{req("TCP-EMPTYWRITE", report.Fail)}}, false, exitPass},
		{"no verdict", report.Report{Requirements: []report.Requirement{req("TCP-EOF", report.Error)}}, true, exitUsage},
		{"harness error", report.Report{HarnessError: "the server never came up", Requirements: []report.Requirement{req("TCP-EOF", report.Error)}}, true, exitUsage},
		{"no report", report.Report{}, true, exitUsage},
		{"failed, no reason", report.Report{Requirements: []report.Requirement{req("TCP-EOF", report.Pass)}}, true, exitUsage},
	} {
		if got := exitStatus(tc.rep, tc.failed); got != tc.want {
			t.Errorf("%s: exit status %d, want %d", tc.name, got, tc.want)
		}
	}
}
