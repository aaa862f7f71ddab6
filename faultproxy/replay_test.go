package faultproxy_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/upcheck/upcheck/faultproxy"
)

// segmentRun relays msg through a proxy with random segment sizes in
// [lo, hi] both ways, over conns sequential connections, and returns each
// connection's segment sizes per direction.
func segmentRun(t *testing.T, upstream string, seed int64, conns int, msg []byte) [][2][]int {
	t.Helper()
	const lo, hi = 1, 64
	tr := &tracer{}
	f := faultproxy.Faults{Segment: lo, SegmentMax: hi}
	p := startProxy(t, upstream, faultproxy.Config{Seed: seed, Up: f, Down: f, Trace: tr.trace})
	out := make([][2][]int, conns)
	for i := range conns {
		got, err := roundTrip(t, p.Addr(), msg)
		if err != nil || !bytes.Equal(got, upper(msg)) {
			t.Fatalf("conn %d: got %d bytes, err %v; want upper of %d bytes and EOF", i, len(got), err, len(msg))
		}
		waitIdle(t, p)
		for d, dir := range []faultproxy.Direction{faultproxy.Up, faultproxy.Down} {
			sizes := tr.sizes(t, i, dir)
			sum := 0
			for j, n := range sizes {
				// Only the last segment may be cut short by the EOF.
				if n > hi || n < lo && j < len(sizes)-1 {
					t.Fatalf("conn %d %v: segment %d of %d bytes, outside [%d, %d]", i, dir, j, n, lo, hi)
				}
				sum += n
			}
			if sum != len(msg) {
				t.Fatalf("conn %d %v: segments add up to %d bytes, want %d", i, dir, sum, len(msg))
			}
			out[i][d] = sizes
		}
	}
	p.Close()
	return out
}

// The same seed gives the same segment sizes on the same connection index,
// in both directions, however the reads of the proxy fall; another seed or
// another connection gives others.
func TestSegmentSizesReplay(t *testing.T) {
	srv, _ := startServer(t)
	msg := payload(3000)
	a := segmentRun(t, srv.TCPAddr, 42, 2, msg)
	b := segmentRun(t, srv.TCPAddr, 42, 2, msg)
	c := segmentRun(t, srv.TCPAddr, 43, 1, msg)
	for i := range a {
		for d, dir := range []faultproxy.Direction{faultproxy.Up, faultproxy.Down} {
			if !slices.Equal(a[i][d], b[i][d]) {
				t.Errorf("seed 42 conn %d %v: sizes differ between runs:\n%v\n%v", i, dir, a[i][d], b[i][d])
			}
		}
	}
	if slices.Equal(a[0][0], c[0][0]) {
		t.Errorf("seeds 42 and 43 drew the same up sizes %v", a[0][0])
	}
	if slices.Equal(a[0][0], a[1][0]) {
		t.Errorf("connections 0 and 1 drew the same up sizes %v", a[0][0])
	}
	if slices.Equal(a[0][0], a[0][1]) {
		t.Errorf("up and down drew the same sizes %v", a[0][0])
	}
}
