package mutation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// Coverage is what checks one requirement: the specs labelled with its ID,
// the fuzz properties that list it, and the faulty servers that break it.
type Coverage struct {
	Req check.Requirement
	// Specs is how many specs carry the requirement's label; Groups are
	// those specs by container, in declaration order.
	Specs  int
	Groups []SpecGroup
	// Props are the fuzz properties that list the requirement's ID.
	Props []string
	// Written are the mutants written to break the requirement (the first
	// of their Breaks); Also those that break it as a consequence (the
	// rest of their Breaks).
	Written, Also []string
	// Failing, after a run of the suites against the mutants, are the
	// other mutants the suites reported the requirement failed for; nil
	// without a run.
	Failing []string
}

// SpecGroup is specs that share their containers: a table's entries under
// its description.
type SpecGroup struct {
	// Name is the containers' text without the requirement ID that starts
	// it: "" for specs right under the requirement's Describe.
	Name   string
	Leaves []string
}

// Coverages returns what checks each requirement of check.Requirements,
// in their order, from the suites' specs, the fuzz properties and the
// mutation rows (whose Breaks say what each mutant breaks; their Failing,
// when ran is true, what the suites failed on it).
func Coverages(specs []suiterun.Spec, props []fuzz.Property, rows []Row, ran bool) []Coverage {
	var out []Coverage
	for _, req := range check.Requirements {
		c := Coverage{Req: req}
		var mine []suiterun.Spec
		for _, s := range specs {
			if s.Has(req.ID) {
				mine = append(mine, s)
			}
		}
		// The specs right under the requirement's own Describe first, then
		// the other top-level containers by name: the order does not
		// depend on how ginkgo shuffled the top-level containers.
		slices.SortStableFunc(mine, func(a, b suiterun.Spec) int {
			ka, kb := topKey(a, req.ID), topKey(b, req.ID)
			return strings.Compare(ka, kb)
		})
		c.Specs = len(mine)
		for _, s := range mine {
			name := groupName(s, req.ID)
			if i := slices.IndexFunc(c.Groups, func(g SpecGroup) bool { return g.Name == name }); i >= 0 && name != "" {
				c.Groups[i].Leaves = append(c.Groups[i].Leaves, s.Leaf)
				continue
			}
			c.Groups = append(c.Groups, SpecGroup{Name: name, Leaves: []string{s.Leaf}})
		}
		for _, p := range props {
			if slices.Contains(p.IDs, req.ID) {
				c.Props = append(c.Props, p.Name)
			}
		}
		if ran {
			c.Failing = []string{}
		}
		for _, r := range rows {
			switch {
			case len(r.Breaks) > 0 && r.Breaks[0] == req.ID:
				c.Written = append(c.Written, r.Mutant)
			case slices.Contains(r.Breaks, req.ID):
				c.Also = append(c.Also, r.Mutant)
			case ran && slices.Contains(r.Failing, req.ID):
				c.Failing = append(c.Failing, r.Mutant)
			}
		}
		out = append(out, c)
	}
	return out
}

// topKey sorts a spec right under the requirement's Describe ("") before
// those of other top-level containers (by their text).
func topKey(s suiterun.Spec, id string) string {
	if len(s.Containers) == 0 || s.Containers[0] == id {
		return ""
	}
	return "\x01" + s.Containers[0]
}

// groupName is a spec's containers without the requirement ID:
// `through a network that cuts and delays segments, "the half-close ..."`.
func groupName(s suiterun.Spec, id string) string {
	var parts []string
	for i, c := range s.Containers {
		if i == 0 {
			c = strings.TrimSpace(strings.TrimPrefix(c, id))
			if c != "" {
				parts = append(parts, c)
			}
			continue
		}
		parts = append(parts, `"`+c+`"`)
	}
	return strings.Join(parts, ", ")
}

// Markdown renders the coverage as the Markdown list of a "Checked by"
// section, its lines wrapped at 78 columns.
func (c Coverage) Markdown() string {
	var b strings.Builder
	item := func(depth int, text string) {
		b.WriteString(wrap(strings.Repeat("  ", depth)+"- ", text, 78))
	}
	if c.Specs == 0 {
		item(0, "Specs: none.")
	} else {
		item(0, fmt.Sprintf("Specs (%d):", c.Specs))
	}
	for _, g := range c.Groups {
		switch {
		case g.Name == "":
			item(1, `"`+strings.Join(g.Leaves, `"; "`)+`".`)
		default:
			item(1, g.Name+": "+strings.Join(g.Leaves, "; ")+".")
		}
	}
	item(0, "Fuzz properties: "+orNone(c.Props)+".")
	if len(c.Written) == 0 {
		item(0, "Faulty servers written to break it: none.")
	} else {
		item(0, "Faulty servers written to break it:")
		for _, name := range c.Written {
			bug := ""
			if m, ok := mutants.ByName(name); ok {
				bug = ": " + m.Bug
			}
			item(1, name+bug+".")
		}
	}
	if len(c.Also) == 0 {
		item(0, "Faulty servers that break it as a consequence: none.")
	} else {
		item(0, "Faulty servers that break it as a consequence:")
		for _, name := range c.Also {
			why := ""
			if w := consequences[name][c.Req.ID]; w != "" {
				why = ": " + w
			}
			item(1, name+why+".")
		}
	}
	if c.Failing != nil {
		item(0, "Other faulty servers the suites failed it on: "+orNone(c.Failing)+".")
	}
	return b.String()
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// wrap returns text as lines of at most width columns where it can, the
// first starting with prefix and the others indented to line up with it.
func wrap(prefix, text string, width int) string {
	indent := strings.Repeat(" ", len(prefix))
	var b strings.Builder
	line := prefix
	empty := true
	for w := range strings.FieldsSeq(text) {
		if !empty && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// CheckedBy renders, for each requirement, what checks it, with the
// mutants the suites failed it on in a run (rows): the report
// reports/checked-by.md that the mutation tests write.
func CheckedBy(specs []suiterun.Spec, props []fuzz.Property, rows []Row) string {
	var b strings.Builder
	for _, c := range Coverages(specs, props, rows, true) {
		fmt.Fprintf(&b, "### %s (%s)\n\n%s\n", c.Req.ID, c.Req.Level, c.Markdown())
	}
	return b.String()
}

// mutantRows returns a mutation row for each mutant with what it breaks,
// and nothing from a run.
func mutantRows(ms []*mutants.Mutant) []Row {
	rows := make([]Row, len(ms))
	for i, m := range ms {
		rows[i] = Row{Mutant: m.Name, Breaks: m.Breaks}
	}
	return rows
}
