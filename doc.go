// Package upcheck is a conformance and fuzz harness for TCP and UDP servers
// that answer every byte they receive with its ASCII uppercase (the rules
// are SEMANTICS.md). This package holds no code: it documents the layout,
// and its test keeps every import pointing down the layers.
//
// The layers, bottom first; a package imports only from its own layer or a
// lower one, in its tests as well:
//
//  0. plumbing that imports nothing of upcheck's: internal/cmdtest (the
//     TestMain of command packages), internal/rapidenv (RAPID_* checked
//     before rapid reads it), internal/proctest (process trees for tests
//     of what outlives the harness), internal/ipv6test (tests on ::1
//     skip, saying why, where the machine has no IPv6), internal/slow
//     (test bounds scaled for a slow machine), internal/neterr (the one
//     test of a timeout, for the servers and the clients),
//     internal/backlogtest (a listener with a small listen backlog).
//  1. the network: servers (the reference servers, servers/serverstest),
//     clients (clients/load, the load engine) and faultproxy (a TCP proxy
//     that splits, delays and resets, and its UDP twin that drops,
//     duplicates, reorders and delays datagrams).
//  2. the conformance library: suites/check (the checks and the judges),
//     suites/target (the way to the server under test), suites/report (the
//     report).
//  3. the runners: the ginkgo suite (its specs in suites/spec, run by the
//     test of suites and by upcheck check; suites/e2e; suites/lifetime,
//     whose tests kill harnesses), suites/suiterun (runs the suite as a
//     subprocess), suites/matrix (the conformance matrix of many
//     implementations), the fuzzers (fuzz) and the commands (cmd/upcheck, the
//     one binary for users, and cmd/upperd, cmd/upperc, cmd/upperload,
//     cmd/campaign, cmd/replay, cmd/reportdiff, whose code cmd/internal
//     shares with it).
//  4. the lab, where upcheck proves itself: faulty servers (lab/mutants:
//     mutants and hostile servers, served by lab/cmd/mutantd), the tests of
//     the harness against them (lab/mutation, lab/hostile), the matrix
//     runner, perf and stress, and their commands under lab/cmd.
package upcheck
