package fuzz

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/check"
)

// A libFuzzer build hands the targets a T that is not a *testing.T: the
// property's generator is then seeded from the input.
func TestCheckPropertyInputSeedsTheGeneratorForOtherTs(t *testing.T) {
	for _, p := range Properties {
		for _, data := range [][]byte{nil, []byte("a"), bytes.Repeat([]byte{0xff}, 64)} {
			r := run(func(r *recorder) { CheckPropertyInput(r, "Fuzz"+p.Name, p, data) })
			if r.fail {
				t.Errorf("%s, input %q, against the reference: %s\n%s", p.Name, data, r.fatal, r.log())
			}
		}
	}
	e := check.Env{TCP: "127.0.0.1:1", UDP: "127.0.0.1:1"}
	for _, p := range Properties {
		a, b := p.Gen(e).Example(seedOf([]byte("x"))), p.Gen(e).Example(seedOf([]byte("x")))
		if caseKey(p.Name, e, a) != caseKey(p.Name, e, b) {
			t.Errorf("%s: the same input draws different cases", p.Name)
		}
		if p.Gen(check.Env{}) != nil {
			t.Errorf("%s: a generator for an environment that serves nothing", p.Name)
		}
	}
	if seedOf([]byte("x")) == seedOf([]byte("y")) || seedOf(nil) < 0 {
		t.Errorf("seedOf: inputs x and y share seed %d, or nil gives %d", seedOf([]byte("x")), seedOf(nil))
	}
}

// The largest inputs the generators draw stay well under the 10 s the
// fuzzing engine allows one input, against a conforming server: the limits
// of gen.go and props.go are what keep them there.
func TestLargestInputsFinishInTime(t *testing.T) {
	e, err := Env(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("a\xff\xfaZ"), maxTCPWrite/4)
	// Every connection writes maxTCPWrite bytes maxTCPSteps times, a byte
	// per write.
	var bytewise check.TCPScript
	// Every connection writes 64 bytes maxTCPSteps times, a byte per
	// write with the longest pause between: the slowest writes drawn.
	var paused check.TCPScript
	for range maxTCPConns {
		var a, b check.TCPConnScript
		for range maxTCPSteps {
			a.Steps = append(a.Steps, check.TCPStep{Op: check.Write, Data: big, Chunks: []int{1}})
			b.Steps = append(b.Steps, check.TCPStep{Op: check.Write, Data: big[:64], Chunks: []int{1}, Pause: 2 * time.Millisecond})
		}
		a.Steps = append(a.Steps, check.TCPStep{Op: check.HalfClose})
		b.Steps = append(b.Steps, check.TCPStep{Op: check.HalfClose})
		bytewise.Conns, paused.Conns = append(bytewise.Conns, a), append(paused.Conns, b)
	}
	// Four sockets burst eight datagrams of the declared maximum plus one.
	var burst check.UDPScript
	for i := range 4 {
		s := check.UDPSocketScript{Burst: true, Connected: i%2 == 0}
		for range 8 {
			s.Datagrams = append(s.Datagrams, bytes.Repeat([]byte("x"), check.DefaultUDPMax+1))
		}
		s.Window = burstWindow(s.Datagrams)
		burst.Sockets = append(burst.Sockets, s)
	}
	for name, c := range map[string]*Case{
		"tcp bytewise":      {TCP: &bytewise},
		"tcp paused":        {TCP: &paused},
		"udp burst":         {UDP: &burst},
		"stream 64 KiB 1 B": {TCP: TCPStreamScript(bytes.Repeat(all256, 512), 0)},
		// The slowest networks drawn: 1-byte segments, and the
		// smallest segments that get the longest delay, both ways.
		"tcp bytewise, 1-byte segments": {TCP: &bytewise, Net: &check.NetFaults{
			Up:   check.StreamFaults{Segment: 1, Latency: maxNetLatency},
			Down: check.StreamFaults{Segment: 1, Latency: maxNetLatency},
		}},
		"tcp bytewise, delayed segments": {TCP: &bytewise, Net: &check.NetFaults{
			Up:   check.StreamFaults{Segment: minDelayedSegment, Delay: maxNetDelay, Latency: maxNetLatency},
			Down: check.StreamFaults{Segment: minDelayedSegment, Delay: maxNetDelay, Latency: maxNetLatency},
		}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
		start := time.Now()
		err := c.Run(ctx, e)
		took := time.Since(start)
		cancel()
		t.Logf("%s: %v", name, took.Round(time.Millisecond))
		if err != nil {
			t.Errorf("%s: not done within %v against the reference: %v", name, nativeTimeout, err)
		}
	}
}

func TestBurstWindow(t *testing.T) {
	n := func(k, size int) [][]byte {
		ds := make([][]byte, k)
		for i := range ds {
			ds[i] = make([]byte, size)
		}
		return ds
	}
	for _, tc := range []struct {
		name string
		ds   [][]byte
		want int
	}{
		{"small, one batch", n(8, 1000), 0},
		{"reference maximum", n(8, check.DefaultUDPMax+1), 7},
		{"largest payload", n(8, check.MaxUDPPayload), 1},
		{"empty datagrams", n(8, 0), 0},
	} {
		if got := burstWindow(tc.ds); got != tc.want {
			t.Errorf("%s: burstWindow = %d, want %d", tc.name, got, tc.want)
		}
	}
}
