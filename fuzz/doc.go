// Package fuzz looks for the cases the conformance suites did not think of.
// Its rapid properties draw whole scripts of client behaviour (concurrent
// TCP connections that write, pause, read, half-close, reset or vanish;
// bursts of UDP datagrams from several sockets, connected or not), run them
// against the target with the checks of package check, and judge the
// outcome deterministically, so that rapid can shrink a failure to a minimal
// case. The minimal case is logged as the steps a person would type
// ([Case.String]) and written as a JSON script that cmd/replay runs
// against any target.
//
// A run of a property logs its progress every few seconds and, at its
// end, what it explored: the cases, their rate, and how many reached each
// protocol situation (coverage.go; fuzzspec.Explored), which the campaign
// prints.
//
// A server's timing can make one script fail on one run and pass on the
// next, which rapid cannot shrink. So a failure counts only when it repeats
// on the spot, and a failure once confirmed is remembered for the rest of
// the check (see judge); a failure that does not repeat is saved as
// unconfirmed instead.
//
// The native fuzz targets (fuzz_test.go) drive the same checks from the
// fuzzing engine's inputs: the transform's target lives in package servers,
// the byte-driven targets here write the input on one connection or send it
// as one datagram, and two more run the properties on the engine's bytes.
// (Their names appear in fuzz_test.go only: libFuzzer builds find a target
// by grepping for its name.) Each input is bounded well under the engine's 10 s
// per input, and the target is started once per worker process (Target).
//
// No case outlasts its run: each ends at its own limit or at the run's end
// (go test's -timeout, the engine's -fuzztime, the campaign's -budget),
// whichever comes first. A case that reaches its own limit is a finding of
// its own ("stalled: no progress for ..."), saved with its replay command;
// one that the run's end cuts short is skipped, not judged.
// cmd/campaign runs them all in turn, and the properties for longer:
// it is make fuzz.
//
// The properties, generators and the targets' helpers live in non-test
// files so that native Go fuzz builds (go test -fuzz, ClusterFuzzLite,
// OSS-Fuzz) reach them; .clusterfuzzlite/build.sh builds the targets for
// libFuzzer.
package fuzz
