package mutation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// A Finding is one failure the harness found against a mutant: which spec or
// property, and the first line of what it observed. Only a real catch
// counts: a violation of one of the requirements the mutant breaks (or the
// server dying while one of them was checked), observed by a spec that
// ended in ginkgo's state "failed", or named by a property's confirmed
// failure. Anything else (a spec that timed out, panicked or was aborted,
// a harness error, a violation of a requirement the mutant does not break,
// a panic in a property) is listed, with why, and does not count: a check
// that fails every server for its own reasons would otherwise catch every
// mutant.
type Finding struct {
	// By is what failed it: "spec <full text>" or "property <name> (case
	// N)".
	By string
	// Line is the first line of what it observed: the violation (ID, case,
	// expected, observed, where), the server's death, or the failure.
	Line string
	// Counts is true for a real catch; Why says why another does not.
	Counts bool
	Why    string
}

// SpecCatches judges each spec of a run of the suites against a mutant that
// breaks the requirements breaks, and returns the failed specs: first those
// that caught it (Counts), in run order, then the others.
func SpecCatches(breaks []string, specs []suiterun.Spec) []Finding {
	var real, other []Finding
	for _, s := range specs {
		if !s.Failed() && !s.Ended() {
			continue
		}
		c := specCatch(breaks, s)
		if c.Counts {
			real = append(real, c)
		} else {
			other = append(other, c)
		}
	}
	return append(real, other...)
}

// specCatch judges one spec that failed or ended without a verdict.
func specCatch(breaks []string, s suiterun.Spec) Finding {
	c := Finding{By: "spec " + s.Text, Line: s.Failure}
	o := s.Outcome
	switch {
	case s.Ended():
		c.Why = "the spec " + endedHow(s.State) + ": no verdict"
		return c
	case !s.HasOutcome:
		c.Why = "the spec failed without recording what its check found"
		return c
	case o.Harness != "":
		c.Why = "harness error"
		c.Line = o.Harness
		return c
	}
	// A server that went away is the failure, blamed on the requirement
	// being checked; what the clients saw of it are symptoms.
	if o.Server != "" {
		c.Line = firstLine(o.Server)
		if slices.Contains(breaks, o.ID) {
			c.Counts = true
		} else {
			c.Why = "the server went away while " + o.ID + " was checked, which it does not break"
		}
		return c
	}
	for _, v := range o.Violations {
		if v != nil && slices.Contains(breaks, v.ID) {
			c.Line, c.Counts = firstLine(v.Error()), true
			return c
		}
	}
	switch {
	case len(o.Violations) > 0:
		c.Line = firstLine(o.Violations[0].Error())
		c.Why = "violations of " + strings.Join(o.Violations.IDs(), ", ") + " only, which it does not break"
	default:
		c.Why = "the spec failed without a violation"
	}
	return c
}

// endedHow says how a spec in ginkgo's state ended without a verdict.
func endedHow(state string) string {
	switch state {
	case "timedout":
		return "timed out"
	case "panicked":
		return "panicked"
	case "aborted":
		return "was aborted"
	case "interrupted":
		return "was interrupted"
	}
	return state
}

// PropertyCatch judges what the property name found against a mutant that
// breaks the requirements breaks; ok is false when it found nothing (the
// check passed, or could not draw a valid case). n is the number of the
// case that failed, 0 if unknown.
func PropertyCatch(breaks []string, name string, n int, c *Caught) (f Finding, ok bool) {
	if !c.Failed() {
		return Finding{}, false
	}
	by := "property " + name
	if n > 0 {
		by = fmt.Sprintf("property %s (case %d)", name, n)
	}
	f = Finding{By: by, Line: firstLine(c.Verdict())}
	ids := fuzz.FailureIDs(c.Verdict())
	switch {
	case !c.Falsified():
		f.Why = "no valid case: the property could not check it"
	case c.Panicked():
		f.Why = "a panic, not a verdict"
	case len(ids) == 0 && fuzz.IsStall(c.Verdict()):
		f.Why = "a stall: the server made no progress within the case's limit, which names no requirement"
	case len(ids) == 0:
		f.Why = "names no requirement: a harness error"
	case !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(breaks, id) }):
		f.Why = "names " + strings.Join(ids, ", ") + ", which it does not break"
	default:
		f.Counts = true
	}
	return f, true
}

// firstLine is the first line of s.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
