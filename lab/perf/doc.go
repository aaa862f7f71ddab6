// Package perf holds upcheck's benchmarks of the reference servers against
// baselines that do no transform, measured side by side in one process:
// PlainEcho, a plain Go read/write TCP echo loop with the reference's
// buffer size, and UDPEcho, a minimal Go UDP echo. The benchmarks drive
// both with the load engine (clients/load), which verifies every reply byte
// (against the baselines too: they answer with the uppercase of what they
// read when Upper is set, and echo it otherwise, so the client does the
// same work for either).
//
// Nothing here runs in a plain go test: the package has benchmarks and
// one test of the baselines themselves. Run the comparison with make bench
// (lab/perf/bench.sh), or by hand:
//
//	go test -run '^$' -bench . -count 6 ./lab/perf > new.txt
//	go tool benchstat -col /server new.txt
//
// BENCHMARKS.md gives the method and this machine's figures.
package perf
