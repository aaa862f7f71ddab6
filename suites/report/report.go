// Package report builds upcheck's conformance report, the one CONTRACT.md
// fixes, from a ginkgo suite report: one entry per requirement of
// check.Requirements, in that order, with a status (pass, fail, skip or
// error), the number of specs that judged it, and the observed and expected
// behaviour and the evidence of its first failure. The JSON is for scripts
// and CI; the Markdown twin is the table a person reads.
//
// The suites attach each spec's findings to its ginkgo report with
// AddReportEntry(EntryName, Outcome{...}) and label each spec with its
// requirement ID; Build needs nothing else, so it works as well on the
// aggregated report of a parallel run (ReportAfterSuite) as on a report
// read back from ginkgo's --json-report.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

// Status is a requirement's verdict.
type Status string

// The statuses of CONTRACT.md.
const (
	// Pass: every spec of the requirement that ran passed.
	Pass Status = "pass"
	// Fail: a spec of the requirement observed a violation.
	Fail Status = "fail"
	// Skip: no spec of the requirement ran (filtered out, or the protocol
	// is not served by the target).
	Skip Status = "skip"
	// Error: the harness could not judge; never a verdict on the server.
	// A spec that timed out, panicked or was aborted or interrupted is
	// such a case: it ended without a verdict.
	Error Status = "error"
	// NotJudged: the requirement's specs ran but could not judge it,
	// because the server broke another requirement they need (a check of
	// TCP-EOF that saw the wrong bytes): Observed names that requirement,
	// which fails in its stead.
	NotJudged Status = "not-judged"
	// XFail: the requirement failed, and the user declared that it would
	// (an expected failure): it does not fail the run.
	XFail Status = "xfail"
	// XPass: the requirement was declared an expected failure but passed:
	// it fails the run, so that the declaration is removed.
	XPass Status = "xpass"
)

// Statuses lists every status a requirement can have, as CONTRACT.md does.
var Statuses = []Status{Pass, Fail, XFail, XPass, Skip, NotJudged, Error}

// Requirement is one requirement's line of the report.
type Requirement struct {
	ID     string      `json:"id"`
	Level  check.Level `json:"level"`
	Status Status      `json:"status"`
	// Specs is how many specs judged the requirement (ran to a verdict).
	Specs int `json:"specs"`
	// Observed and Expected describe the first failure; for an INFO
	// requirement Observed is what was seen. Evidence says where: the
	// check's location, the spec's name and the seed to replay it.
	Observed string `json:"observed"`
	Expected string `json:"expected"`
	Evidence string `json:"evidence"`
	// Reason is why the requirement is an expected failure, as the user
	// declared it, for xfail and xpass; "" otherwise.
	Reason string `json:"reason,omitempty"`
}

// Report is the conformance report of one run.
type Report struct {
	// Target describes what was checked.
	Target string `json:"target"`
	// Seed is the run's random seed (ginkgo's --seed replays it).
	Seed int64 `json:"seed"`
	// Version is upcheck's module version, or "devel".
	Version      string        `json:"version"`
	Requirements []Requirement `json:"requirements"`
	// HarnessError, when set, is why the harness could not judge at all
	// (the target never came up, the settings are wrong): every
	// requirement is then Error.
	HarnessError string `json:"harness_error,omitempty"`
	// Notes are other harness problems that did not stop the verdicts,
	// such as a target that did not stop cleanly.
	Notes []string `json:"notes,omitempty"`
}

// HarnessPrefix starts every failure message of the suites that is about
// the harness rather than the server; the report leaves it out of its
// texts, since its status column already says "error".
const HarnessPrefix = "upcheck: harness error: "

// maxText caps the observed, expected and evidence texts: a failure
// message can quote a whole reply.
const maxText = 2000

// Build makes the conformance report of the suite report r for the target
// described by target. Each spec counts for every requirement ID among its
// labels. A requirement's status is fail if one of its specs failed on its
// account (a violation of it observed, the server died while it was
// checked, or a failure the spec raised itself) or if a spec of another
// requirement failed on a violation of it; else error if the harness could
// not judge one of its specs (a harness error, or a spec that timed out,
// panicked or was aborted or interrupted: no verdict, whatever the server
// did); else not-judged if a spec of it failed only on violations of other
// requirements; else skip if none ran, else pass. An INFO requirement
// never fails: what its specs saw is its observation. A failure of the
// suite's setup makes every requirement error, with the setup's failure
// message.
func Build(r types.Report, target string) Report {
	rep := Report{Target: target, Seed: r.SuiteConfig.RandomSeed, Version: Version()}
	byID := map[string][]types.SpecReport{}
	seenBy := map[string][]types.SpecReport{} // failed specs of other requirements that saw a violation of it
	harnessFirst := false
	rn := run{seed: rep.Seed, labelFilter: r.SuiteConfig.LabelFilter}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) {
			if sr.Failed() {
				msg := strings.TrimPrefix(firstLine(sr.FailureMessage()), HarnessPrefix)
				if sr.LeafNodeType.Is(types.NodeTypeBeforeSuite | types.NodeTypeSynchronizedBeforeSuite) {
					// In a parallel run every process reports the setup's
					// failure; the harness's own message says most.
					if rep.HarnessError == "" || (!harnessFirst && strings.HasPrefix(sr.FailureMessage(), HarnessPrefix)) {
						rep.HarnessError = msg
						harnessFirst = strings.HasPrefix(sr.FailureMessage(), HarnessPrefix)
					}
				} else {
					rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %s", sr.LeafNodeType, msg))
				}
			}
			continue
		}
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		if sr.State == types.SpecStateAborted && rn.ended == "" {
			rn.ended = strings.TrimPrefix(firstLine(sr.FailureMessage()), HarnessPrefix)
			rep.Notes = append(rep.Notes, "the run ended early: "+rn.ended)
		}
		labelled := map[string]bool{}
		for _, l := range sr.Labels() {
			if _, ok := check.Lookup(l); ok {
				byID[l] = append(byID[l], sr)
				labelled[l] = true
			}
		}
		// A violation counts against the requirement it names, whichever
		// spec observed it; not what the clients saw of a server that
		// went away, which is the symptom of the spec's own failure.
		if o, _ := OutcomeOf(sr); sr.State == types.SpecStateFailed || o.Waived {
			if o.Harness == "" && o.Server == "" {
				for _, id := range o.Violations.IDs() {
					if !labelled[id] {
						seenBy[id] = append(seenBy[id], sr)
					}
				}
			}
		}
	}
	if rn.ended == "" && interrupted(r) {
		rn.ended = fmt.Sprintf("interrupted after %d s", int(r.RunTime.Seconds()+0.5))
		rn.interrupted = true
		rep.Notes = append(rep.Notes, "the run was "+rn.ended)
	}
	for _, req := range check.Requirements {
		specs, others := byID[req.ID], seenBy[req.ID]
		// The first failure is the first in declaration order, so the
		// report does not depend on the order the specs ran in.
		slices.SortStableFunc(specs, declared)
		slices.SortStableFunc(others, declared)
		rn.harnessErr = rep.HarnessError
		rep.Requirements = append(rep.Requirements, rn.judge(req, specs, others))
	}
	fixFirst(rep.Requirements)
	return rep
}

// interrupted reports whether the run was cut short by an interrupt or its
// time limit, rather than running every selected spec.
func interrupted(r types.Report) bool {
	for _, why := range r.SpecialSuiteFailureReasons {
		if strings.Contains(why, "Interrupted") || strings.Contains(why, "Timeout") {
			return true
		}
	}
	for _, sr := range r.SpecReports {
		if sr.State == types.SpecStateInterrupted {
			return true
		}
	}
	return false
}

// fixFirst adds to the evidence of each requirement not judged because
// others failed which one to fix first: the first, in SEMANTICS.md order,
// of those its specs needed that failed.
func fixFirst(reqs []Requirement) {
	failed := map[string]bool{}
	for _, q := range reqs {
		if q.Status == Fail {
			failed[q.ID] = true
		}
	}
	for i, q := range reqs {
		if q.Status != NotJudged {
			continue
		}
		needs := strings.Split(strings.TrimPrefix(q.Observed, "not judged: needs "), ", ")
		for _, r := range reqs {
			if failed[r.ID] && slices.Contains(needs, r.ID) {
				reqs[i].Evidence = clip(q.Evidence + "\nfix " + r.ID + " first")
				break
			}
		}
	}
}

// maxSeenIn is how many specs the evidence names where a violation was
// seen; the count says how many there are.
const maxSeenIn = 3

// seenInLine names the specs where a requirement's violation was seen:
// how many, and the first few.
func seenInLine(specs []types.SpecReport) string {
	var names []string
	for _, sr := range specs[:min(len(specs), maxSeenIn)] {
		names = append(names, fmt.Sprintf("%q", sr.FullText()))
	}
	line := fmt.Sprintf("seen in %d specs: %s", len(specs), strings.Join(names, "; "))
	if len(specs) > maxSeenIn {
		line += fmt.Sprintf("; and %d more", len(specs)-maxSeenIn)
	}
	return line
}

// declared orders specs as they are declared.
func declared(a, b types.SpecReport) int {
	return cmp.Or(cmp.Compare(a.FileName(), b.FileName()), cmp.Compare(a.LineNumber(), b.LineNumber()), cmp.Compare(a.FullText(), b.FullText()))
}

// blames reports whether a spec labelled id that failed with outcome o
// failed on id's account: it observed a violation of id, the server went
// away while id was checked, or the spec failed without recording any
// violation (a failure it raised itself). A spec whose violations all
// belong to other requirements did not judge id.
func blames(o Outcome, id string) bool {
	if len(o.Violations) == 0 || o.Server != "" {
		return true
	}
	return slices.Contains(o.Violations.IDs(), id)
}

// noVerdict says why a spec in state s ended without a verdict ("" when it
// did end with one): ginkgo's timeout, a panic, an abort or an interrupt
// end a spec whatever the server did.
func noVerdict(s types.SpecState) string {
	switch s {
	case types.SpecStateTimedout:
		return "the spec timed out"
	case types.SpecStatePanicked:
		return "the spec panicked"
	case types.SpecStateAborted:
		return "the spec was aborted"
	case types.SpecStateInterrupted:
		return "interrupted"
	}
	return ""
}

// run is what judging a requirement needs to know about the whole run.
type run struct {
	seed int64
	// harnessErr is why nothing could be judged, if so.
	harnessErr string
	// ended is why the run ended early (a spec aborted the suite), if so:
	// the specs it skipped were not judged.
	ended string
	// labelFilter is the run's --label-filter: specs it leaves out were
	// not selected, rather than left unjudged.
	labelFilter string
	// interrupted says the run ended on an interrupt or its time limit:
	// the requirements it did not reach were not run, not judged.
	interrupted bool
}

// unjudged reports whether a skipped spec was skipped because the run
// ended early, rather than filtered out or skipped by the suite for a
// reason it gave (a protocol the target does not serve).
func (rn run) unjudged(sr types.SpecReport) bool {
	if rn.ended == "" || sr.State != types.SpecStateSkipped || sr.FailureMessage() != "" {
		return false
	}
	ok, err := sr.MatchesLabelFilter(rn.labelFilter)
	return ok && err == nil
}

// judge gives one requirement its line of the report, from its specs and
// the failed specs of other requirements that observed a violation of it.
func (rn run) judge(req check.Requirement, specs, others []types.SpecReport) Requirement {
	seed := rn.seed
	out := Requirement{ID: req.ID, Level: req.Level, Status: Skip}
	if rn.harnessErr != "" {
		out.Status = Error
		out.Observed = "not judged: " + rn.harnessErr
		out.Expected = req.Rule
		return out
	}
	var cutShort *types.SpecReport
	var seenIn []types.SpecReport
	var failed, errored, observed, unjudged *types.SpecReport
	var failedO, observedO, unjudgedO Outcome
	erroredWhy := ""
	skipped := ""
	for i := range specs {
		sr := &specs[i]
		o, _ := OutcomeOf(*sr)
		// A spec that found only expected failures passed in ginkgo, but
		// judges as a failed one.
		isFailed := sr.Failed() || o.Waived
		switch {
		case sr.State.Is(types.SpecStatePending | types.SpecStateSkipped | types.SpecStateInvalid):
			if skipped == "" {
				skipped = firstLine(sr.FailureMessage())
			}
			if cutShort == nil && rn.unjudged(*sr) {
				cutShort = sr
			}
			continue
		case o.Harness != "" || noVerdict(sr.State) != "":
			if errored == nil {
				errored = sr
				erroredWhy = o.Harness
				if why := noVerdict(sr.State); erroredWhy == "" && why != "" {
					erroredWhy = why
					if msg := strings.TrimPrefix(firstLine(sr.FailureMessage()), HarnessPrefix); msg != "" {
						erroredWhy += ": " + msg
					}
				}
			}
			continue
		case isFailed && req.Level == check.Info:
			// An INFO requirement never fails: what went wrong is its
			// observation.
			out.Specs++
			if observed == nil {
				observed, observedO = sr, o
				if len(o.Violations) == 0 && o.Server == "" && o.Observed == "" {
					observedO.Observed = oneLine(sr.FailureMessage())
				}
			}
			continue
		case isFailed && !blames(o, req.ID):
			if unjudged == nil {
				unjudged, unjudgedO = sr, o
			}
			continue
		case isFailed:
			out.Specs++
			seenIn = append(seenIn, *sr)
			if failed == nil {
				failed, failedO = sr, o
			}
		default:
			out.Specs++
		}
		if observed == nil && (len(o.Violations) > 0 || o.Observed != "" || o.Server != "") {
			observed, observedO = sr, o
		}
	}
	if failed == nil && req.Level != check.Info && len(others) > 0 {
		// No spec of its own failed on it, but another spec saw it broken.
		failed = &others[0]
		failedO, _ = OutcomeOf(*failed)
		failedO.Server = ""
		out.Specs++
	}
	switch {
	case failed != nil:
		out.Status = Fail
		out.Observed, out.Expected, out.Evidence = describe(req, *failed, failedO, seed)
		if req.Level != check.Info {
			seenIn = append(seenIn, others...)
			if len(seenIn) > 1 {
				slices.SortStableFunc(seenIn, declared)
				out.Evidence = clip(out.Evidence + "\n" + seenInLine(seenIn))
			}
		}
	case errored != nil:
		out.Status = Error
		msg := erroredWhy
		if msg == "" {
			msg = strings.TrimPrefix(firstLine(errored.FailureMessage()), HarnessPrefix)
		}
		if msg == "" {
			msg = "interrupted"
		}
		out.Observed = "not judged: " + msg
		out.Expected = req.Rule
		out.Evidence = evidence("", *errored, seed)
	case unjudged != nil:
		out.Status = NotJudged
		out.Observed = "not judged: needs " + strings.Join(unjudgedO.Violations.IDs(), ", ")
		out.Expected = req.Rule
		out.Evidence = evidence("", *unjudged, seed)
	case cutShort != nil && rn.interrupted:
		// The run stopped before some of its specs: not run, rather
		// than not selected.
		out.Status = NotJudged
		out.Observed = "not run: " + rn.ended
		out.Expected = req.Rule
		out.Evidence = evidence("", *cutShort, seed)
	case cutShort != nil:
		// Some of its specs never ran: not fully judged.
		out.Status = Error
		out.Observed = "not judged: the run ended early: " + rn.ended
		out.Expected = req.Rule
		out.Evidence = evidence("", *cutShort, seed)
	case out.Specs > 0:
		out.Status = Pass
	case skipped != "":
		out.Observed = skipped
	case len(specs) > 0:
		out.Observed = "not selected"
	default:
		out.Observed = "no spec"
	}
	// An INFO requirement (or a passing one whose spec left an
	// observation) reports what its first spec saw.
	if out.Status == Pass && observed != nil {
		if len(observedO.Violations) > 0 || observedO.Server != "" {
			out.Observed, out.Expected, out.Evidence = describe(req, *observed, observedO, seed)
		} else {
			out.Observed = clip(observedO.Observed)
			out.Evidence = evidence("", *observed, seed)
		}
	}
	return out
}

// describe returns the observed, expected and evidence texts of a failed
// spec: its first violation of the requirement if it recorded one, else
// its failure message (the server exited, the spec timed out).
func describe(req check.Requirement, sr types.SpecReport, o Outcome, seed int64) (observed, expected, evidence_ string) {
	observed, expected, evidence_ = describeViolation(req, sr, o, seed)
	if o.Server != "" {
		observed = clip(strings.TrimSuffix(o.Server+"; "+observed, "; "))
	}
	return observed, expected, evidence_
}

// describeViolation describes the first violation of req in a failed spec,
// or its failure message when it recorded none. A violation of another
// requirement describes it only under a server's exit, as what the clients
// saw of it: otherwise the spec did not fail on req's account (see blames).
func describeViolation(req check.Requirement, sr types.SpecReport, o Outcome, seed int64) (observed, expected, evidence_ string) {
	var v *check.Violation
	for _, x := range o.Violations {
		if x != nil && x.ID == req.ID {
			v = x
			break
		}
	}
	if v == nil && o.Server != "" && len(o.Violations) > 0 {
		// The server's exit is the failure; what the clients saw of it
		// may be filed under other requirements.
		v = o.Violations[0]
	}
	if v != nil {
		where := v.Where
		if v.Case != "" && !strings.Contains(sr.FullText(), v.Case) {
			// The case, unless the spec's name says it already.
			where = strings.TrimSuffix(v.Case+"; "+where, "; ")
		}
		if v.ID != req.ID {
			where = v.ID + ": " + where
		}
		return clip(v.Observed), clip(v.Expected), evidence(where, sr, seed)
	}
	if o.Server != "" {
		return "", clip(req.Rule), evidence("", sr, seed)
	}
	msg := sr.FailureMessage()
	if msg == "" {
		msg = sr.State.String()
	}
	return clip(oneLine(msg)), clip(req.Rule), evidence(sr.FailureLocation().String(), sr, seed)
}

// evidence says where a failure was seen, the spec's name and the run's
// seed, each on a line of its own: a case drawn from a seed of its own
// names that seed in the spec's name, and the run's seed (which replays
// the whole run) stays apart from it.
func evidence(where string, sr types.SpecReport, seed int64) string {
	var parts []string
	if where != "" {
		parts = append(parts, where)
	}
	parts = append(parts, fmt.Sprintf("spec %q", sr.FullText()), fmt.Sprintf("run seed %d", seed))
	return clip(strings.Join(parts, "\n"))
}

// Counts returns how many requirements have each status.
func (r Report) Counts() map[Status]int {
	n := map[Status]int{}
	for _, q := range r.Requirements {
		n[q.Status]++
	}
	return n
}

// JSON returns the report as indented JSON, ending in a newline.
func (r Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Version returns upcheck's module version from the build information, or
// "devel" for a build from a work tree.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	const path = "github.com/upcheck/upcheck"
	v := ""
	if bi.Main.Path == path {
		v = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			v = d.Version
		}
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// oneLine joins the lines of s with "; ".
func oneLine(s string) string {
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
