// Package e2e tests the conformance suite end to end, as a user runs it: its
// test binary (go test -c ./suites) as a process, given bad settings. Each
// must end at once with a one-line error that names the setting, a non-zero
// exit status, and no spec run: a harness that misreads its settings and
// runs anyway gives verdicts about the wrong thing.
//
// It also runs the suite on IPv6 (-host ::1): the whole suite against upperd
// started by a {host} command, and some specs against the reference in
// process and against servers already running at [::1]:port. Where the
// machine has no ::1, those tests skip and say so.
package e2e
