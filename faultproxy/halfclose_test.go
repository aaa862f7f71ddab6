package faultproxy_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/faultproxy"
	"github.com/upcheck/upcheck/internal/ipv6test"
	"github.com/upcheck/upcheck/servers/serverstest"
)

// One-byte segments with a delay between them, both ways, still carry
// upper(stream) and then an orderly EOF after the client half-closes: the
// half-close passes through instead of closing both directions.
func TestOneByteSegmentsKeepStreamAndHalfClose(t *testing.T) {
	srv, _ := startServer(t)
	tr := &tracer{}
	const delay = 200 * time.Microsecond
	slow := faultproxy.Faults{Segment: 1, Delay: delay}
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{Seed: 1, Up: slow, Down: slow, Trace: tr.trace})

	msg := payload(300)
	start := time.Now()
	got, err := roundTrip(t, p.Addr(), msg)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("read after half-close: %v, want EOF", err)
	}
	if !bytes.Equal(got, upper(msg)) {
		t.Fatalf("reply is %d bytes %q, want upper of the %d bytes sent", len(got), got, len(msg))
	}
	if min := time.Duration(len(msg)-1) * delay; elapsed < min {
		t.Errorf("round trip took %v, less than the %v of delays", elapsed, min)
	}

	waitIdle(t, p)
	for _, dir := range []faultproxy.Direction{faultproxy.Up, faultproxy.Down} {
		sizes := tr.sizes(t, 0, dir)
		if len(sizes) != len(msg) {
			t.Errorf("%v: %d segments, want %d", dir, len(sizes), len(msg))
		}
		for i, n := range sizes {
			if n != 1 {
				t.Fatalf("%v: segment %d has %d bytes, want 1", dir, i, n)
			}
		}
		hc := tr.find(0, dir, faultproxy.HalfClosed)
		if len(hc) != 1 || hc[0].Offset != int64(len(msg)) {
			t.Errorf("%v: half-close events %v, want one at offset %d", dir, hc, len(msg))
		}
	}
	st := p.Stats()
	if st.Conns != 1 || st.BytesUp != int64(len(msg)) || st.BytesDown != int64(len(msg)) || st.Resets+st.PassedResets != 0 {
		t.Errorf("stats %+v, want 1 connection, %d bytes each way, no reset", st, len(msg))
	}
}

// With no faults the proxy is transparent, and the server's half-close after
// the client's reaches the client as EOF.
func TestTransparent(t *testing.T) {
	srv, _ := startServer(t)
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{})
	msg := payload(200_000)
	got, err := roundTrip(t, p.Addr(), msg)
	if err != nil || !bytes.Equal(got, upper(msg)) {
		t.Fatalf("got %d bytes, err %v; want upper of %d bytes and EOF", len(got), err, len(msg))
	}
}

// TestIPv6Upstream: a proxy to a server on ::1 listens on ::1 too, in the
// family of what it relays to, and relays.
func TestIPv6Upstream(t *testing.T) {
	ipv6test.Need(t)
	srv := serverstest.NewUnstartedServer()
	srv.Host, srv.UDP = "::1", nil
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{})
	if !strings.HasPrefix(p.Addr(), "[::1]:") {
		t.Errorf("proxy to %s listens on %s, want [::1]:port", srv.TCPAddr, p.Addr())
	}
	msg := payload(10_000)
	got, err := roundTrip(t, p.Addr(), msg)
	if err != nil || !bytes.Equal(got, upper(msg)) {
		t.Fatalf("got %d bytes, err %v; want upper of %d bytes and EOF", len(got), err, len(msg))
	}
}

// Latency holds back the first reply byte for at least its duration.
func TestLatency(t *testing.T) {
	srv, _ := startServer(t)
	const latency = 100 * time.Millisecond
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{Down: faultproxy.Faults{Latency: latency}})
	start := time.Now()
	got, err := roundTrip(t, p.Addr(), []byte("late"))
	if err != nil || string(got) != "LATE" {
		t.Fatalf("got %q, err %v; want \"LATE\" and EOF", got, err)
	}
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("reply came after %v, before the %v latency", elapsed, latency)
	}
}
