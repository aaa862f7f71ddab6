package spec

import (
	"slices"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/check"
)

// The specs are check.Table's cases, one spec each: a topic of the table is
// a Describe labelled with its requirement, protocol and labels; a group of
// cases is a DescribeTable with an Entry per case; a case alone is an It.
// Each spec is located where its case is declared, so that the report's
// first failure of a requirement is the first in the table's order.
var _ = describeCases()

// cases returns the table for this run: its random cases drawn from the
// suite's seed, its UDP-SIZE cases around the declared maximum. It is built
// once, while ginkgo builds the spec tree: after the flags are parsed.
var cases = sync.OnceValue(func() check.Cases {
	return check.Table(check.Options{Seed: GinkgoRandomSeed(), UDPMax: settings.UDPMax})
})

// describeCases declares a Describe per topic of the table. Which topics
// there are, and their labels, does not depend on the options; the cases
// under each are those of this run's table.
func describeCases() bool {
	var topics []check.Case
	for _, c := range check.Table(check.Options{}) {
		if !slices.ContainsFunc(topics, func(t check.Case) bool { return t.Topic == c.Topic }) {
			topics = append(topics, c)
		}
	}
	for _, t := range topics {
		Describe(t.Topic, Label(t.AllLabels()...), located(t), func() {
			describeTopic(cases().Select(func(c check.Case) bool { return c.Topic == t.Topic }))
		})
	}
	return true
}

// describeTopic declares the specs of one topic's cases, in order: a run of
// cases of the same group as a DescribeTable, a case alone as an It.
func describeTopic(cs check.Cases) {
	for i := 0; i < len(cs); {
		c := cs[i]
		if c.Group == "" {
			It(c.Name, append([]any{func(ctx SpecContext) { judge(ctx, c) }}, decorations(c)...)...)
			i++
			continue
		}
		var entries []TableEntry
		for ; i < len(cs) && cs[i].Group == c.Group; i++ {
			entries = append(entries, Entry(cs[i].Name, append([]any{cs[i]}, decorations(cs[i])...)...))
		}
		DescribeTable(c.Group, judge, entries, located(c))
	}
}

// decorations are a case's spec decorators: its timeout, scaled; Serial for
// a case that runs alone; and where it is declared.
func decorations(c check.Case) []any {
	d := []any{SpecTimeout(scaled(c.Timeout))}
	if c.Serial {
		d = append(d, Serial)
	}
	return append(d, located(c))
}

// located is the code location of where c is declared, for its spec and
// for the containers it heads: ginkgo orders the specs by their locations
// before it shuffles the top-level containers, so that run order, like the
// report's, follows the table.
func located(c check.Case) types.CodeLocation {
	file, line := c.Declared()
	return types.CodeLocation{FileName: file, LineNumber: line}
}

// judge runs case c against the target and hands what it found to the
// report: an INFO case as an observation, any other as a verdict.
func judge(ctx SpecContext, c check.Case) {
	err := c.Run(ctx, env())
	if c.Level() == check.Info {
		observe(c, err)
		return
	}
	verify(ctx, c, err)
}
