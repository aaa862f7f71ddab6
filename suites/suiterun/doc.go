// Package suiterun runs upcheck's conformance suites as a separate process
// against a server command and reads back what they found: the conformance
// report of CONTRACT.md and, from ginkgo's JSON report, every spec with its
// labels and state. The mutation tests (lab/mutation) and the matrix
// (lab/cmd/matrix) check many implementations this way, each in a process
// of its own, as a user's CI checks one.
//
// Build compiles the suites' test binary once (go test -c ./suites); Run
// then runs it as often as needed, any number at a time.
package suiterun
