package fuzz

import (
	"context"
	"testing"

	"pgregory.net/rapid"
)

// TestUDPCasesThroughTheNetworkPassTheReference runs drawn UDP cases, each
// through a drawn faulty network, against the process's target (the
// reference in process unless UPCHECK_* say otherwise): what the network
// does is never the server's violation.
func TestUDPCasesThroughTheNetworkPassTheReference(t *testing.T) {
	e := env(t)
	if e.UDP == "" {
		t.Skip("UDP not configured")
	}
	rapid.Check(t, func(rt *rapid.T) {
		s := UDPScriptGen(e.UDPMax).Draw(rt, "script")
		f := UDPNetFaultsGen().Draw(rt, "faults")
		s.Case += "; " + f.String()
		c := &Case{UDP: &s, UDPNet: &f}
		ctx, cancel := context.WithTimeout(t.Context(), caseTimeoutFor(e))
		defer cancel()
		if err := c.Run(ctx, e); err != nil {
			rt.Fatalf("%v", err)
		}
	})
}

// TestUDPNetworkIsSavedWithTheCase: a case through a network replays
// through the same network, ending the same way.
func TestUDPNetworkIsSavedWithTheCase(t *testing.T) {
	t.Setenv("UPCHECK_FUZZ_FAILURES", t.TempDir())
	s := UDPScriptGen(0).Example(3)
	s.EndOnMarker = true
	f := UDPNetFaultsGen().Example(5)
	f.Up.Drop = 7
	c := &Case{Property: "UDPScripts", UDP: &s, UDPNet: &f}
	path, err := c.Save("udpnet")
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadCase(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.UDPNet == nil || *got.UDPNet != f || !got.UDP.EndOnMarker {
		t.Errorf("loaded network %+v (marker %v), want %+v and the marker", got.UDPNet, got.UDP.EndOnMarker, f)
	}
}
