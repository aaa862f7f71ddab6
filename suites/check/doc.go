// Package check holds upcheck's conformance checks: plain Go functions, in
// the style of nettest.TestConn and fstest.TestFS, that exercise a TCP or UDP
// server at the addresses of an Env and return every misbehaviour they found
// as an error made of Violations, or nil.
//
// [Table] lists every conformance case: a [Case] is one check of one
// requirement ([Req], the IDs of CONTRACT.md) with its parameters fixed,
// under a name. The ginkgo suite makes a spec of each case; [Run] runs any
// subset of them against an Env from a Go test and returns what each found:
//
//	env := check.Env{TCP: "127.0.0.1:9000"}
//	cases := check.Table(check.Options{}).Select(check.Only(check.ReqTCPEOF))
//	if err := check.Run(ctx, env, cases).Err(); err != nil {
//		t.Fatal(err)
//	}
//
// The checks the cases are built on take their parameters directly
// ([TCPEOF], [TCPChurn] with [ChurnParams], [UDPSize], ...), and scripts
// ([TCPScript], [UDPScript]) describe any exchange, judged by symptom, for
// the fuzzers, straight to the server or through a faulty network
// ([RunTCPThroughProxy] with [NetFaults], [RunUDPThroughProxy] with
// [UDPNetFaults]) whose faults the judges allow for.
// A script reads as the steps a person would type
// ([TCPScript.String]) and saves as JSON with named operations and bytes
// shown as text or hex (scripttext.go).
//
// Every check bounds each network operation with a deadline scaled by
// Env.Scale, caps what it reads, and reports in deterministic text (no ports,
// no timings: those go to Env.Logf) so that property-based shrinking works.
// [Case.Run] bounds a whole case by its timeout.
package check
