package report

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

// eofViolation is what a server that resets after a half-close shows.
var eofViolation = &check.Violation{ID: "TCP-EOF", Case: "write then half-close", Expected: "EOF after the reply", Observed: "a reset instead of an orderly close", Where: "connection 0"}

// waivedSuite is a run in which TCP-EOF's violations were declared
// expected: its spec passed in ginkgo with a waived outcome, and so did a
// TCP-STREAM spec that saw only TCP-EOF's violation.
func waivedSuite() types.Report {
	specs := passingSuite()
	for i := range specs {
		switch specs[i].LeafNodeLabels[0] {
		case "TCP-EOF":
			specs[i] = spec("TCP-EOF resets", "TCP-EOF", 40, types.SpecStatePassed, &Outcome{ID: "TCP-EOF", Violations: check.Violations{eofViolation}, Waived: true})
		case "TCP-STREAM":
			specs[i] = spec("TCP-STREAM half-closes", "TCP-STREAM", 30, types.SpecStatePassed, &Outcome{ID: "TCP-STREAM", Violations: check.Violations{eofViolation}, Waived: true})
		}
	}
	return suite(specs...)
}

func TestBuildWaived(t *testing.T) {
	r := Build(waivedSuite(), "t")
	eof := byID(t, r, "TCP-EOF")
	if eof.Status != Fail || eof.Observed != eofViolation.Observed || !strings.Contains(eof.Evidence, "write then half-close") {
		t.Errorf("a waived spec judges as failed: TCP-EOF = %+v", eof)
	}
	if q := byID(t, r, "TCP-STREAM"); q.Status != NotJudged || q.Observed != "not judged: needs TCP-EOF" {
		t.Errorf("TCP-STREAM = %+v, want not-judged, needing TCP-EOF", q)
	}
	r.Expect(map[string]string{"TCP-EOF": "resets on a half-close"})
	eof = byID(t, r, "TCP-EOF")
	if eof.Status != XFail || eof.Reason != "resets on a half-close" || eof.Observed != eofViolation.Observed {
		t.Errorf("TCP-EOF = %+v, want xfail with its reason and observation", eof)
	}
	if got := r.ExitStatus(); got != ExitPass {
		t.Errorf("ExitStatus() = %d with only expected failures, want %d", got, ExitPass)
	}
	md := r.Markdown()
	for _, want := range []string{
		"| TCP-EOF | MUST | xfail | 1 | a reset instead of an orderly close | EOF after the reply |",
		"\nExpected failures:\n\n- TCP-EOF (xfail): resets on a half-close\n",
		"\n1 failed as expected\n",
		"- TCP-EOF: write then half-close; connection 0\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestExpect(t *testing.T) {
	r := Build(suite(passingSuite()...), "t")
	r.Requirements[1].Status = Fail                                                  // TCP-BYTES
	r.Requirements[2].Status = Skip                                                  // TCP-STREAM
	r.Expect(map[string]string{"TCP-EOF": "", "TCP-BYTES": "", "TCP-STREAM": "why"}) // TCP-EOF passes
	for id, want := range map[string]Status{"TCP-EOF": XPass, "TCP-BYTES": XFail, "TCP-STREAM": Skip, "TCP-ROUNDTRIP": Pass} {
		if got := byID(t, r, id).Status; got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
	}
	if q := byID(t, r, "TCP-STREAM"); q.Reason != "" {
		t.Errorf("a skipped requirement has the reason %q: it is no verdict", q.Reason)
	}
	msg := "TCP-EOF passes now: remove it from the expected failures"
	if got := r.XPasses(); len(got) != 1 || got[0] != msg {
		t.Errorf("XPasses() = %q, want [%q]", got, msg)
	}
	if q := byID(t, r, "TCP-EOF"); q.Observed != msg {
		t.Errorf("xpass observed %q, want %q", q.Observed, msg)
	}
	if got := r.ExitStatus(); got != ExitFail {
		t.Errorf("ExitStatus() = %d with an xpass, want %d", got, ExitFail)
	}
	if md := r.Markdown(); !strings.Contains(md, "| TCP-EOF | MUST | **xpass** |") || !strings.Contains(md, "\n"+msg+"\n") {
		t.Errorf("Markdown does not show the xpass:\n%s", md)
	}
}

func TestExitStatus(t *testing.T) {
	with := func(id string, s Status) Report {
		r := Build(suite(passingSuite()...), "t")
		for i := range r.Requirements {
			if r.Requirements[i].ID == id {
				r.Requirements[i].Status = s
			}
		}
		return r
	}
	bothErrAndFail := with("TCP-EOF", Fail)
	bothErrAndFail.Requirements[0].Status = Error
	harness := Build(suite(passingSuite()...), "t")
	harness.HarnessError = "UPCHECK_TCP: \"x\" is not host:port"
	for _, tc := range []struct {
		name string
		r    Report
		want int
	}{
		{"all pass", with("", Pass), ExitPass},
		{"MUST fail", with("TCP-EOF", Fail), ExitFail},
		{"xfail", with("TCP-EOF", XFail), ExitPass},
		{"xpass", with("TCP-EOF", XPass), ExitFail},
		{"skip", with("TCP-EOF", Skip), ExitPass},
		{"not judged", with("TCP-EOF", NotJudged), ExitPass},
		{"INFO fail", with("TCP-EMPTYWRITE", Fail), ExitPass},
		{"error", with("TCP-EOF", Error), ExitHarness},
		{"error and fail", bothErrAndFail, ExitFail},
		{"harness error", harness, ExitHarness},
	} {
		if got := tc.r.ExitStatus(); got != tc.want {
			t.Errorf("%s: ExitStatus() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	r := Build(suite(passingSuite()...), "t")
	set := func(id string, s Status) {
		for i := range r.Requirements {
			if r.Requirements[i].ID == id {
				r.Requirements[i].Status = s
			}
		}
	}
	if got, want := r.Line(""), "upcheck: 18 passed, 0 failed, 0 skipped"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	set("TCP-EOF", Fail)
	set("UDP-ONCE", Fail)
	if got, want := r.Line("reports/x.json"), "upcheck: 16 passed, 2 failed (TCP-EOF, UDP-ONCE), 0 skipped; report: reports/x.json"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	set("TCP-EOF", XFail)
	set("UDP-ONCE", XPass)
	set("TCP-STREAM", NotJudged)
	set("UDP-SIZE", Error)
	set("UDP-SOURCE", Skip)
	want := "upcheck: 13 passed, 0 failed, 1 failed as expected (TCP-EOF), 1 passed unexpectedly (UDP-ONCE), 2 not judged (TCP-STREAM, UDP-SIZE), 1 skipped"
	if got := r.Line(""); got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	r.HarnessError = "UPCHECK_EXPECT_FAIL: unknown requirement \"X\""
	if got, want := r.Line("r.json"), "upcheck: harness error: UPCHECK_EXPECT_FAIL: unknown requirement \"X\"; report: r.json"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}
