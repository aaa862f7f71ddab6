// Package mutants holds deliberately faulty uppercase servers: each breaks
// one requirement of SEMANTICS.md the way real code does, so that upcheck's
// suites and fuzzers can prove they catch it. They are the faults a
// conformance harness must find, as testing/iotest's readers are the faults
// an io consumer must survive.
//
// Each mutant comes from a one-line constructor (UnicodeUpper(), Serial(),
// UDPTwice(), ...) and is written as the bug is written in practice: its
// code is a plain server loop with the mistake in it, not the reference with
// a switch. A mutant breaks one protocol only; Start serves a correct
// reference server (package servers) for the other one, so that only its own
// fault shows.
//
// A mutant runs in process on loopback with Start and Close, as
// servers/serverstest does, or as a separate process with
// cmd/mutantd. A mutant whose fault is to die (a handler that panics, a serve
// loop that returns on the first error) stops everything it serves, as the
// process would, and says why in Err.
package mutants
