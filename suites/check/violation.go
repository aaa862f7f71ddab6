package check

import (
	"fmt"
	"strings"
)

// Violation is one misbehaviour a check observed: which requirement it
// breaks, in which case, what was expected, what was observed, and where.
// Its text is deterministic (no ports, no timings) so that a property-based
// fuzzer can shrink a failure while the text stays the same.
type Violation struct {
	ID       string `json:"id"`
	Case     string `json:"case"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Where    string `json:"where,omitempty"`
}

// Error formats v on one line: "ID [case]: expected ...; observed ...; where".
func (v *Violation) Error() string {
	var b strings.Builder
	b.WriteString(v.ID)
	if v.Case != "" {
		fmt.Fprintf(&b, " [%s]", v.Case)
	}
	fmt.Fprintf(&b, ": expected %s; observed %s", v.Expected, v.Observed)
	if v.Where != "" {
		fmt.Fprintf(&b, "; %s", v.Where)
	}
	return b.String()
}

// Violations is every misbehaviour one check found. As an error its text is
// one violation per line.
type Violations []*Violation

func (vs Violations) Error() string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns vs as an error, or nil when it is empty.
func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// AsViolations returns every violation inside err, walking wrapped and
// joined errors (nil if it holds none).
func AsViolations(err error) Violations {
	var out Violations
	var walk func(error)
	walk = func(err error) {
		switch x := err.(type) {
		case nil:
		case Violations:
			out = append(out, x...)
		case *Violation:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

// IDs returns the distinct requirement IDs of vs in order of appearance.
func (vs Violations) IDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v.ID] {
			seen[v.ID] = true
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// add appends a violation built from its parts.
func (vs *Violations) add(id, kase, expected, observed, where string) {
	*vs = append(*vs, &Violation{ID: id, Case: kase, Expected: expected, Observed: observed, Where: where})
}

// Payload returns b as a payload: a convenience for literal strings.
func Payload(s string) []byte { return []byte(s) }
