package faultproxy_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/faultproxy"
	"github.com/upcheck/upcheck/internal/slow"
)

// Close returns promptly with connections in every state a connection can
// be in, ends each of them for its client, and leaves no goroutine behind.
func TestCloseInEveryState(t *testing.T) {
	srv, _ := startServer(t)
	before := goleak.IgnoreCurrent()
	tr := &tracer{}
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{})
	const forever = time.Hour

	var clients []*net.TCPConn
	// open dials a connection under cfg once the previous one has been
	// accepted under its own Config.
	open := func(cfg faultproxy.Config) *net.TCPConn {
		t.Helper()
		n := int64(len(clients))
		waitFor(t, "the previous connection to be accepted", func() bool { return p.Stats().Conns == n })
		cfg.Trace = tr.trace
		if err := p.SetConfig(cfg); err != nil {
			t.Fatalf("SetConfig: %v", err)
		}
		c := dial(t, p.Addr())
		clients = append(clients, c)
		return c
	}
	write := func(c *net.TCPConn, s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}

	// 0: idle, nothing sent.
	open(faultproxy.Config{})
	// 1: in the delay between two request segments.
	write(open(faultproxy.Config{Up: faultproxy.Faults{Segment: 1, Delay: forever}}), "abc")
	waitFor(t, "conn 1's first segment", tr.has(1, faultproxy.Up, faultproxy.SegmentWritten))
	// 2: holding the reply back for its latency.
	write(open(faultproxy.Config{Down: faultproxy.Faults{Latency: forever}}), "x")
	waitFor(t, "conn 2's request", tr.has(2, faultproxy.Up, faultproxy.SegmentWritten))
	// 3: stalled.
	write(open(faultproxy.Config{Down: faultproxy.Faults{Stall: true}}), "x")
	waitFor(t, "conn 3's stall", tr.has(3, faultproxy.Down, faultproxy.Stalled))
	// 4: half-closed by the client, in the middle of the reply.
	c4 := open(faultproxy.Config{Down: faultproxy.Faults{Segment: 1, Delay: forever}})
	write(c4, "ab")
	if err := c4.CloseWrite(); err != nil {
		t.Fatalf("close write: %v", err)
	}
	waitFor(t, "conn 4's half-close", tr.has(4, faultproxy.Up, faultproxy.HalfClosed))
	waitFor(t, "conn 4's first reply segment", tr.has(4, faultproxy.Down, faultproxy.SegmentWritten))
	// 5: a client that writes and never reads, so that every buffer on the
	// way fills and the proxy blocks writing to it.
	c5 := open(faultproxy.Config{})
	wrote := make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte("flood"), 64<<10/5)
		for range (64 << 20) / len(chunk) {
			if _, err := c5.Write(chunk); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	waitFor(t, "conn 5's replies to pile up", func() bool { return p.Stats().BytesDown >= 64<<10 })

	if st := p.Stats(); st.Active != int64(len(clients)) {
		t.Fatalf("stats %+v, want %d connections open", st, len(clients))
	}
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if elapsed := time.Since(start); elapsed > slow.Bound(time.Second) {
		t.Errorf("Close took %v", elapsed)
	}
	if st := p.Stats(); st.Active != 0 {
		t.Errorf("stats %+v after Close, want no connection open", st)
	}
	if err := <-wrote; err == nil || isTimeout(err) {
		t.Errorf("flooding client's write ended with %v, want the proxy's close", err)
	}
	for i, c := range clients {
		if i == 5 {
			continue
		}
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		if _, err := readAll(c, 1<<20); isTimeout(err) {
			t.Errorf("conn %d still open after Close: %v", i, err)
		}
	}
	// Close is idempotent. Once it has returned the proxy has no goroutine
	// left, and the server's connection goroutines end as their
	// connections do.
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	goleak.VerifyNone(t, before)
}
