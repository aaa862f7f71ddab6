// Package e2e tests the conformance suite end to end, as a user runs it: its
// test binary (go test -c ./suites) as a process, given bad settings. Each
// must end at once with a one-line error that names the setting, a non-zero
// exit status, and no spec run: a harness that misreads its settings and
// runs anyway gives verdicts about the wrong thing.
package e2e
