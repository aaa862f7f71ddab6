package faultproxy_test

import (
	"io"
	"testing"
	"time"

	"github.com/upcheck/upcheck/faultproxy"
	"github.com/upcheck/upcheck/internal/slow"
)

// A stalled direction leaves the client waiting until its own deadline,
// while the proxy keeps serving other connections and still closes at once.
func TestStall(t *testing.T) {
	srv, _ := startServer(t)
	const k = 3
	tr := &tracer{}
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{
		Down:  faultproxy.Faults{Stall: true, StallAt: k},
		Trace: tr.trace,
	})
	c := dial(t, p.Addr())
	if _, err := c.Write([]byte("hello world")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, k)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "HEL" {
		t.Fatalf("read %q, %v; want \"HEL\" before the stall", buf, err)
	}
	waitFor(t, "the stall", tr.has(0, faultproxy.Down, faultproxy.Stalled))
	// Even the client's half-close, passed on to the server, does not end
	// a stalled connection.
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("close write: %v", err)
	}
	waitFor(t, "the half-close to pass", tr.has(0, faultproxy.Up, faultproxy.HalfClosed))
	// The rule is about absence: nothing more, not even EOF, may arrive
	// before the client's own deadline.
	const deadline = 200 * time.Millisecond
	c.SetReadDeadline(time.Now().Add(deadline))
	if n, err := c.Read(buf); !isTimeout(err) {
		t.Fatalf("read after the stall: %d bytes, %v; want the client's deadline", n, err)
	}

	// The proxy stays responsive: a reply shorter than the stall offset
	// goes through whole, with its EOF.
	got, err := roundTrip(t, p.Addr(), []byte("ab"))
	if err != nil || string(got) != "AB" {
		t.Fatalf("second connection: got %q, err %v; want \"AB\" and EOF", got, err)
	}
	waitFor(t, "the second connection to end", func() bool { return p.Stats().Active == 1 })
	if st := p.Stats(); st.Stalls != 1 || st.Conns != 2 {
		t.Errorf("stats %+v, want 2 connections, 1 stall, the stalled one still open", st)
	}

	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if elapsed := time.Since(start); elapsed > slow.Bound(time.Second) {
		t.Errorf("Close took %v with a stalled connection", elapsed)
	}
	// Closing the proxy ends the stalled connection for the client.
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := readAll(c, 100); isTimeout(err) {
		t.Errorf("stalled connection still open after Close: %v", err)
	}
}
