package report

import (
	"fmt"
	"strings"

	"github.com/upcheck/upcheck/suites/check"
)

// Expect applies the user's expected failures (requirement ID → reason,
// from UPCHECK_EXPECT_FAIL) to the report: a requirement among them that
// failed becomes xfail, one that passed becomes xpass, and both carry the
// reason. Other statuses (skip, not-judged, error) stay: they are no
// verdict either way.
func (r *Report) Expect(xf map[string]string) {
	for i := range r.Requirements {
		q := &r.Requirements[i]
		reason, ok := xf[q.ID]
		if !ok {
			continue
		}
		switch q.Status {
		case Fail:
			q.Status = XFail
		case Pass:
			q.Status = XPass
			q.Observed = XPassMessage(q.ID)
		default:
			continue
		}
		q.Reason = reason
	}
}

// XPassMessage is the line that fails a run in which the expected failure
// id passed.
func XPassMessage(id string) string {
	return id + " passes now: remove it from the expected failures"
}

// XPasses returns XPassMessage of each requirement that passed although
// it was declared an expected failure, in the report's order.
func (r Report) XPasses() []string {
	var out []string
	for _, q := range r.Requirements {
		if q.Status == XPass {
			out = append(out, XPassMessage(q.ID))
		}
	}
	return out
}

// The exit statuses of CONTRACT.md.
const (
	// ExitPass: every MUST requirement passed, or failed only where a
	// failure was expected.
	ExitPass = 0
	// ExitFail: a MUST requirement failed, or an expected failure passed.
	ExitFail = 1
	// ExitHarness: a usage or harness error: a bad setting, a target that
	// is not there, a requirement the harness could not judge.
	ExitHarness = 2
)

// ExitStatus is the run's exit status by CONTRACT.md: ExitHarness when
// the harness could not judge at all; else ExitFail when a MUST
// requirement failed or an expected failure passed (a verdict on the
// server says more than a harness problem beside it); else ExitHarness
// when some requirement could not be judged (status error); else
// ExitPass. SHOULD and INFO findings never fail a run, and not-judged
// requirements count through the one that failed in their stead.
func (r Report) ExitStatus() int {
	if r.HarnessError != "" {
		return ExitHarness
	}
	errored := false
	for _, q := range r.Requirements {
		switch {
		case q.Status == XPass, q.Status == Fail && q.Level == check.Must:
			return ExitFail
		case q.Status == Error:
			errored = true
		}
	}
	if errored {
		return ExitHarness
	}
	return ExitPass
}

// Line is the one-line summary of a run for standard error, naming the
// requirements that need attention and where the report is (path, when it
// is not ""):
//
//	upcheck: 16 passed, 2 failed (TCP-EOF, UDP-ONCE), 0 skipped; report: reports/x.json
//
// Expected failures, unexpected passes, requirements not judged and a
// harness error add their own parts, each only when there is one.
func (r Report) Line(path string) string {
	by := map[Status][]string{}
	for _, q := range r.Requirements {
		by[q.Status] = append(by[q.Status], q.ID)
	}
	named := func(n int, what string, ids []string) string {
		s := fmt.Sprintf("%d %s", n, what)
		if len(ids) > 0 {
			s += " (" + strings.Join(ids, ", ") + ")"
		}
		return s
	}
	parts := []string{
		fmt.Sprintf("%d passed", len(by[Pass])),
		named(len(by[Fail]), "failed", by[Fail]),
	}
	if n := len(by[XFail]); n > 0 {
		parts = append(parts, named(n, "failed as expected", by[XFail]))
	}
	if n := len(by[XPass]); n > 0 {
		parts = append(parts, named(n, "passed unexpectedly", by[XPass]))
	}
	if n := len(by[NotJudged]) + len(by[Error]); n > 0 {
		parts = append(parts, named(n, "not judged", append(by[NotJudged], by[Error]...)))
	}
	parts = append(parts, fmt.Sprintf("%d skipped", len(by[Skip])))
	s := "upcheck: " + strings.Join(parts, ", ")
	if r.HarnessError != "" {
		s = "upcheck: harness error: " + r.HarnessError
	}
	if path != "" {
		s += "; report: " + path
	}
	return s
}
