// Package mutation proves that upcheck catches the faults it exists to
// catch. Its tests run the conformance suites, as a separate process, as a
// user's CI would, against every faulty server of internal/mutants and
// require each to be reported failing the requirement it breaks; they run
// the reference the same way and require it to pass; and they run each
// rapid property of package fuzz against the mutants of its protocol. The
// result is the mutation table, printed at the end of the tests and
// written to reports/mutation.md: each mutant, what it breaks, which specs
// and properties caught it, and the mutation score, which must be 100%.
//
// The package's non-test code is what the tests need and others may use:
// Catch runs a rapid property and returns its failure instead of failing
// a test, and Table renders the mutation table.
package mutation
