// Package lifetime tests, across binaries, that nothing the harness starts
// for a server command outlives it: the suite binary (go test -c ./suites)
// killed by SIGKILL and ended by its -test.timeout, upcheck check killed
// by SIGKILL, the campaign (cmd/campaign) killed by SIGKILL while go test
// -fuzz runs under it, and a fuzz worker killed by the fuzzing engine. Each time the server command
// forks a child and a grandchild that leaves the process group and is
// orphaned (internal/proctest); none of the three may be left a few seconds
// after the harness ended. The package holds only tests (Linux only, where
// the guarantee is made); its fuzz target, FuzzServerCommand, runs only
// under those tests.
package lifetime
