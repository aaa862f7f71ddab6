// Package mutation proves that upcheck catches the faults it exists to
// catch and passes the servers it must pass. Its tests run the conformance
// suites, as a separate process, as a user's CI would:
//
//   - against every mutant of lab/mutants (served by mutantd,
//     its protocol's specs only, at a reduced time scale), requiring the
//     requirement each was written to break to be reported failed, never
//     error;
//   - against the reference (upperd) and the Python example
//     (examples/python, skipped when python3 is not on PATH), requiring
//     every MUST requirement to pass;
//   - against a server command that exits at once, requiring a harness
//     error within 10 seconds.
//
// They also run each rapid property of package fuzz against the mutants of
// its protocol, in process, and require it to falsify those in its domain.
// The result is the mutation table, printed at the end of the tests and
// written to reports/mutation.md: each mutant, what it breaks, which specs
// and properties caught it, and the mutation score, which must be 100%;
// reports/checked-by.md says what checks each requirement. The same facts,
// without a run, are the "Checked by" lists of SEMANTICS.md: go generate
// ./lab/mutation regenerates them, and TestSemanticsCheckedBy fails when
// they are stale.
//
// The package's non-test code is what the tests need and others may use:
// Catch runs a rapid property and returns its verdict instead of failing a
// test, Table renders the mutation table, and Coverages and CheckedBy
// what checks each requirement.
package mutation
