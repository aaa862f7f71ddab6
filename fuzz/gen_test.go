package fuzz

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
)

// The drawn network faults stay within the limits that keep a case quick
// (TestLargestInputsFinishInTime runs the slowest), never stall, and
// survive the JSON of a saved case.
func TestNetFaultsGenStaysInBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := NetFaultsGen().Draw(t, "faults")
		for dir, d := range map[string]check.StreamFaults{"up": f.Up, "down": f.Down} {
			switch {
			case d.Segment < 0 || d.Segment > maxNetSegment:
				t.Fatalf("%s: segment %d out of 0..%d", dir, d.Segment, maxNetSegment)
			case d.SegmentMax != 0 && (d.SegmentMax <= d.Segment || d.SegmentMax > maxNetSegment):
				t.Fatalf("%s: segment_max %d with segment %d", dir, d.SegmentMax, d.Segment)
			case d.Delay < 0 || d.Delay > maxNetDelay:
				t.Fatalf("%s: delay %v out of 0..%v", dir, d.Delay, maxNetDelay)
			case d.Delay > 0 && d.Segment < minDelayedSegment:
				t.Fatalf("%s: delay %v between segments of %d bytes", dir, d.Delay, d.Segment)
			case d.Latency < 0 || d.Latency > maxNetLatency:
				t.Fatalf("%s: latency %v out of 0..%v", dir, d.Latency, maxNetLatency)
			case d.ResetAt < 0 || d.ResetAt > maxNetResetAt || (!d.Reset && d.ResetAt != 0):
				t.Fatalf("%s: reset %v at %d", dir, d.Reset, d.ResetAt)
			}
		}
		c := Case{Property: "TCPScripts", TCP: &check.TCPScript{Conns: []check.TCPConnScript{{Steps: []check.TCPStep{{Op: check.HalfClose}}}}}, Net: &f}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Case
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Net == nil || *back.Net != f {
			t.Fatalf("saved %+v, loaded %+v from %s", f, back.Net, b)
		}
	})
}
