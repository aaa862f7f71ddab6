// Package fuzz looks for the cases the conformance suites did not think of.
// Its rapid properties draw whole scripts of client behaviour (concurrent
// TCP connections that write, pause, read, half-close, reset or vanish;
// bursts of UDP datagrams from several sockets, connected or not), run them
// against the target with the checks of package check, and judge the
// outcome deterministically, so that rapid can shrink a failure to a minimal
// case. The minimal case is also written as a JSON script that
// fuzz/cmd/replay runs against any target.
//
// The properties and generators live in non-test files so that native Go
// fuzz builds (go test -fuzz, ClusterFuzzLite, OSS-Fuzz) reach them.
package fuzz
