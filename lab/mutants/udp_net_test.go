package mutants_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
)

// TestUDPTwiceFoundThroughTheNetwork runs the fuzzer's UDP cases through a
// faulty network against a server that answers every datagram twice: the
// copies the network makes and the datagrams it drops are never blamed,
// so every case that fails names UDP-ONCE alone, and most cases fail.
func TestUDPTwiceFoundThroughTheNetwork(t *testing.T) {
	e := startUDP(t, mutants.UDPTwice())
	e.Logf = nil
	runs, found := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		s := fuzz.UDPScriptGen(e.UDPMax).Draw(rt, "script")
		f := fuzz.UDPNetFaultsGen().Draw(rt, "faults")
		err := check.RunUDPThroughProxy(udpContext(t), e, s, f)
		runs++
		ids := check.AsViolations(err).IDs()
		switch {
		case err != nil && ids == nil:
			rt.Fatalf("not a verdict: %v", err)
		case len(ids) > 0 && !slices.Equal(ids, []string{"UDP-ONCE"}):
			rt.Fatalf("violated %v, want only UDP-ONCE:\n%v", ids, err)
		case len(ids) > 0:
			found++
		}
	})
	t.Logf("UDP-ONCE found in %d of %d cases", found, runs)
	if found < runs/2 {
		t.Errorf("UDP-ONCE found in only %d of %d cases", found, runs)
	}
}
