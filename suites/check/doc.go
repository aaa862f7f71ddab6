// Package check holds upcheck's conformance checks: plain Go functions, in
// the style of nettest.TestConn and fstest.TestFS, that exercise a TCP or UDP
// server at the addresses of an Env and return every misbehaviour they found
// as an error made of Violations, or nil. The ginkgo suites and the fuzzers
// are built on these functions; any Go test can call them directly:
//
//	env := check.Env{TCP: "127.0.0.1:9000"}
//	if err := check.TCPEOF(ctx, env, check.Payload("hello")); err != nil {
//		t.Fatal(err)
//	}
//
// Every check bounds each network operation with a deadline scaled by
// Env.Scale, caps what it reads, and reports in deterministic text (no ports,
// no timings: those go to Env.Logf) so that property-based shrinking works.
package check
