// Package mutation proves that upcheck catches the faults it exists to
// catch and passes the servers it must pass. Its tests run the conformance
// suites, as a separate process, as a user's CI would:
//
//   - against every mutant of lab/mutants (served by mutantd,
//     its protocol's specs only, or every spec for a mutant whose other
//     protocol must still be judged, at the default time scale), requiring a
//     spec to catch it: to end failed on a violation of a requirement the
//     mutant breaks (or on the server's death while one was checked), and
//     the requirement it was written to break reported failed, never
//     error. A spec that timed out, panicked or was aborted, a harness
//     error or a violation of another requirement catches nothing;
//   - against the reference (upperd) and the Python example
//     (examples/python, skipped when python3 is not on PATH) under the
//     mutants' conditions (each of their label filters, their time scale,
//     in the same pool of concurrent runs), requiring every MUST
//     requirement to pass: the control that a check failing every server
//     would fail;
//   - against a server command that exits at once, requiring a harness
//     error within 20 seconds (scaled for a slow machine).
//
// They also run each rapid property of package fuzz against the mutants of
// its protocol, in process, and require it to catch those in its domain
// with a failure that names a requirement the mutant breaks (not a harness
// error, nor a panic), and to pass the reference, run as one more job of
// the same pool. The result is the mutation table, printed at the end of
// the tests and written to reports/mutation.md: each mutant, what it
// breaks, the requirements the suites failed beyond those (extra
// failures), the wall time of its suites' run (a figure, never judged),
// which specs and properties caught it and the first violation that
// counts, the failures that did not count and why, the mutation score,
// which must be 100%, and the extra failures summed over every mutant,
// which must not exceed a quarter of the number of mutants; reports/checked-by.md says what checks each
// requirement. The same facts, without a run, are the "Checked by" lists
// of SEMANTICS.md: go generate ./lab/mutation regenerates them, and
// TestSemanticsCheckedBy fails when they are stale.
//
// The package's non-test code is what the tests need and others may use:
// Catch runs a rapid property and returns its verdict instead of failing a
// test, SpecCatches and PropertyCatch judge what a spec or a property found
// against a mutant (a Finding that counts or not), Table renders the
// mutation table, and Coverages and CheckedBy what checks each
// requirement.
package mutation
