package mutation

import (
	"slices"

	"github.com/upcheck/upcheck/lab/mutants"
)

// allMutants returns every server of lab/mutants written to break a
// requirement; the hostile ones, which break none, are lab/hostile's.
func allMutants() []*mutants.Mutant {
	return slices.DeleteFunc(mutants.All(), (*mutants.Mutant).Hostile)
}
