package fuzz

import (
	"encoding/binary"
	"hash/fnv"
	"testing"

	"pgregory.net/rapid"
)

// TB is what the native fuzz targets' helpers need of their *testing.T. It
// is an interface so that they also take the T of the testing shim that
// libFuzzer builds (ClusterFuzzLite, OSS-Fuzz) put in place of package
// testing.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

// CheckInput runs c against the process's target as one input of the native
// fuzz target name, and fails t on a violation, or when the server command
// died on it, after saving c under the failure directory and logging the
// command that replays it.
func CheckInput(t TB, name string, c *Case) {
	t.Helper()
	skipOutOfTime(t)
	e := env(t)
	if (c.TCP != nil && e.TCP == "") || (c.UDP != nil && e.UDP == "") {
		t.Skip("protocol not configured")
	}
	judge(t, name, c, e, TargetHooks(), nil)
}

// CheckPropertyInput runs one input of the native fuzz target name, which
// exposes the rapid property p.
//
// Under go test -fuzz (t is a *testing.T) data is rapid's bitstream, as with
// rapid.MakeFuzz: the engine's mutations change the drawn script piece by
// piece, and a failure is reported as rapid reports it. Under a libFuzzer
// build, whose testing shim has a T of its own that rapid cannot take, data
// seeds p's generator instead: a coarser search, but the same cases and the
// same judgement.
func CheckPropertyInput(t TB, name string, p Property, data []byte) {
	t.Helper()
	skipOutOfTime(t)
	if st, ok := t.(*testing.T); ok {
		rapid.MakeFuzz(func(rt *rapid.T) { p.For(env(rt), TargetHooks())(rt) })(st, data)
		return
	}
	e := env(t)
	g := p.Gen(e)
	if g == nil {
		t.Skip("protocol not configured")
	}
	judge(t, name, g.Example(seedOf(data)), e, TargetHooks(), nil)
}

// skipOutOfTime skips an input that comes once the run's time is up: the
// fuzzing engine stops at its -fuzztime, and an input it sent just before
// is not worth a wait past it.
func skipOutOfTime(t TB) {
	if left, ok := timeLeft(); ok && left <= 0 {
		t.Skip(errOutOfTime.Error())
	}
}

// seedOf turns a fuzz input into a generator seed: every byte counts, and
// equal inputs give equal seeds.
func seedOf(data []byte) int {
	h := fnv.New64a()
	h.Write(data)
	return int(binary.BigEndian.Uint64(h.Sum(nil)) >> 1)
}
