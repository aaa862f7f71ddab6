package mutation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// CheckedBy renders, for each requirement, what checks it: the specs that
// carry its label (from a run of the whole suites), the fuzz properties
// that list its ID, and the mutants that break it (those written to break
// it first, then those the suites also failed on it). It is the
// "Checked by" of SEMANTICS.md, derived from the code.
func CheckedBy(specs []suiterun.Spec, props []fuzz.Property, rows []Row) string {
	var b strings.Builder
	for _, req := range check.Requirements {
		fmt.Fprintf(&b, "### %s (%s)\n\n", req.ID, req.Level)
		// Specs are grouped by their containers: a table's entries
		// under its description.
		var groups []string
		leaves := map[string][]string{}
		n := 0
		for _, s := range specs {
			if !s.Has(req.ID) {
				continue
			}
			n++
			group := strings.TrimSpace(strings.TrimPrefix(strings.Join(s.Containers, " "), req.ID))
			if _, ok := leaves[group]; !ok {
				groups = append(groups, group)
			}
			leaves[group] = append(leaves[group], s.Leaf)
		}
		if n == 0 {
			fmt.Fprintf(&b, "- specs (0): -\n")
		} else {
			fmt.Fprintf(&b, "- specs (%d):\n", n)
		}
		for _, g := range groups {
			text := strings.Join(leaves[g], "; ")
			if g != "" {
				text = g + ": " + text
			}
			fmt.Fprintf(&b, "  - %s\n", text)
		}
		var ps []string
		for _, p := range props {
			if slices.Contains(p.IDs, req.ID) {
				ps = append(ps, p.Name)
			}
		}
		fmt.Fprintf(&b, "- fuzz properties: %s\n", orDash(strings.Join(ps, ", ")))
		var written, also []string
		for _, r := range rows {
			switch {
			case len(r.Breaks) > 0 && r.Breaks[0] == req.ID:
				written = append(written, r.Mutant)
			case slices.Contains(r.Failing, req.ID):
				also = append(also, r.Mutant)
			}
		}
		fmt.Fprintf(&b, "- mutants written to break it: %s\n", orDash(strings.Join(written, ", ")))
		fmt.Fprintf(&b, "- other mutants it fails: %s\n\n", orDash(strings.Join(also, ", ")))
	}
	return b.String()
}
