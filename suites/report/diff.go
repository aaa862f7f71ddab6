package report

import (
	"fmt"
	"strings"
)

// Change is how one requirement's status changed between two reports.
type Change struct {
	ID       string
	Old, New Status // "" when the requirement is not in that report
	// Kind is Regression, Fix or Changed.
	Kind ChangeKind
	// Observed is what the newer report observed, for a regression.
	Observed string
}

// ChangeKind classifies a Change.
type ChangeKind string

const (
	// Regression: the requirement passed (pass or xpass) and fails now
	// (fail or xfail).
	Regression ChangeKind = "regression"
	// Fix: the requirement failed and passes now.
	Fix ChangeKind = "fix"
	// Changed: any other change of status, such as one that was judged
	// and is not now (skip, not-judged, error), or the reverse, or a
	// requirement that only one report has.
	Changed ChangeKind = "changed"
)

// Diff lists the requirements whose status differs between the reports
// old and new, in new's order (then those only old has): regressions,
// fixes and other changes alike. Whether a failure was expected does not
// matter, only whether the server passed: fail and xfail are the same
// verdict, and so are pass and xpass.
func Diff(old, new *Report) []Change {
	before := map[string]Requirement{}
	for _, q := range old.Requirements {
		before[q.ID] = q
	}
	var out []Change
	seen := map[string]bool{}
	for _, q := range new.Requirements {
		seen[q.ID] = true
		o, ok := before[q.ID]
		if ok && o.Status == q.Status {
			continue
		}
		c := Change{ID: q.ID, Old: o.Status, New: q.Status, Kind: Changed}
		switch {
		case !ok:
		case passed(o.Status) && failed(q.Status):
			c.Kind, c.Observed = Regression, q.Observed
		case failed(o.Status) && passed(q.Status):
			c.Kind = Fix
		case passed(o.Status) == passed(q.Status) && failed(o.Status) == failed(q.Status):
			continue // the same verdict: fail and xfail, pass and xpass
		}
		out = append(out, c)
	}
	for _, q := range old.Requirements {
		if !seen[q.ID] {
			out = append(out, Change{ID: q.ID, Old: q.Status, Kind: Changed})
		}
	}
	return out
}

func passed(s Status) bool { return s == Pass || s == XPass }
func failed(s Status) bool { return s == Fail || s == XFail }

// String is the change as one line: "regression: TCP-EOF pass -> fail:
// observed".
func (c Change) String() string {
	name := func(s Status) string {
		if s == "" {
			return "(absent)"
		}
		return string(s)
	}
	s := fmt.Sprintf("%s: %s %s -> %s", c.Kind, c.ID, name(c.Old), name(c.New))
	if c.Observed != "" {
		s += ": " + oneLine(c.Observed)
	}
	return s
}

// Regressions reports whether any of the changes is a regression.
func Regressions(changes []Change) bool {
	for _, c := range changes {
		if c.Kind == Regression {
			return true
		}
	}
	return false
}

// DiffText is the changes one to a line, then a last line counting the
// regressions and fixes ("no change" when there is none).
func DiffText(changes []Change) string {
	var b strings.Builder
	n := map[ChangeKind]int{}
	for _, c := range changes {
		b.WriteString(c.String() + "\n")
		n[c.Kind]++
	}
	if len(changes) == 0 {
		b.WriteString("no change\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%d regressions, %d fixes, %d other changes\n", n[Regression], n[Fix], n[Changed])
	return b.String()
}
