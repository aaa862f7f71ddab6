package report

import (
	"encoding/json"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

// EntryName names the ginkgo report entry through which a spec hands its
// Outcome to the conformance report (AddReportEntry(EntryName, outcome)).
const EntryName = "upcheck-outcome"

// Outcome is what one spec found about one requirement. A spec attaches it
// to its ginkgo report as the report entry EntryName, so that Build can read
// it back, in process or from a parallel run's aggregated report.
type Outcome struct {
	// ID is the requirement the spec checks.
	ID string `json:"id"`
	// Violations is every misbehaviour the spec's check observed.
	Violations check.Violations `json:"violations,omitempty"`
	// Observed is what an INFO spec saw, when it saw no violation.
	Observed string `json:"observed,omitempty"`
	// Server says what happened to the server while the spec checked it,
	// when it went away: "server exited (status 3) while checking
	// TCP-BYTES". It is the failure's headline; the violations are what
	// the clients saw of it.
	Server string `json:"server,omitempty"`
	// Harness is set when the harness could not judge: the spec's check
	// failed for a reason that says nothing about the server.
	Harness string `json:"harness,omitempty"`
	// Waived is set when the spec found violations but passed anyway,
	// because every one of them is of a requirement the user declared an
	// expected failure: the report judges the spec as a failed one (and
	// Expect turns the requirement's fail into xfail).
	Waived bool `json:"waived,omitempty"`
}

// OutcomeOf returns the Outcome a spec attached, if any. A parallel run
// hands ReportAfterSuite entry values decoded from JSON rather than the
// original struct, so the value goes through JSON either way.
func OutcomeOf(sr types.SpecReport) (Outcome, bool) {
	for _, e := range sr.ReportEntries {
		if e.Name != EntryName {
			continue
		}
		var o Outcome
		raw := []byte(e.Value.AsJSON)
		if v := e.GetRawValue(); v != nil {
			b, err := json.Marshal(v)
			if err != nil {
				continue
			}
			raw = b
		}
		if len(raw) == 0 || json.Unmarshal(raw, &o) != nil {
			continue
		}
		return o, true
	}
	return Outcome{}, false
}
