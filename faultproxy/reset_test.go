package faultproxy_test

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/upcheck/upcheck/faultproxy"
)

// A reset injected at offset K of the reply gives the client exactly K reply
// bytes, then ECONNRESET; the server goes on serving.
func TestResetDown(t *testing.T) {
	srv, _ := startServer(t)
	for _, tc := range []struct {
		k    int64
		send int
		seg  faultproxy.Faults
	}{
		{k: 0},
		{k: 1, send: 10, seg: faultproxy.Faults{Segment: 1, Delay: 100 * time.Microsecond}},
		{k: 37, send: 100, seg: faultproxy.Faults{Segment: 1, Delay: 100 * time.Microsecond}},
		{k: 1000, send: 5000},
		{k: 3000, send: 5000, seg: faultproxy.Faults{Segment: 7, SegmentMax: 300}},
	} {
		t.Run(fmt.Sprintf("K=%d", tc.k), func(t *testing.T) {
			tr := &tracer{}
			down := tc.seg
			down.Reset, down.ResetAt = true, tc.k
			p := startProxy(t, srv.TCPAddr, faultproxy.Config{Seed: 7, Up: tc.seg, Down: down, Trace: tr.trace})
			msg := payload(tc.send)
			if tc.k == 0 {
				// The reset may come before the client's connect has
				// returned, and then ends the connect.
				got, err := dialAndRead(p.Addr())
				if !isReset(err) || len(got) != 0 {
					t.Fatalf("got %q then %v, want ECONNRESET", got, err)
				}
				waitIdle(t, p)
				if st := p.Stats(); st.Resets != 1 {
					t.Errorf("stats %+v, want 1 reset", st)
				}
				return
			}
			c := dial(t, p.Addr())
			{
				// One write, done before the reply starts, so that the
				// reset is reported by the reads below.
				if _, err := c.Write(msg); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			got, err := readAll(c, len(msg))
			if !isReset(err) {
				t.Fatalf("read ended with %v after %d bytes, want ECONNRESET", err, len(got))
			}
			if want := upper(msg[:tc.k]); !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes before the reset, want exactly %d: %q", len(got), tc.k, got)
			}
			waitIdle(t, p)
			ev := tr.find(0, faultproxy.Down, faultproxy.ResetInjected)
			if len(ev) != 1 || ev[0].Offset != tc.k {
				t.Errorf("reset events %v, want one at offset %d", ev, tc.k)
			}
			if st := p.Stats(); st.Resets != 1 || st.BytesDown != tc.k {
				t.Errorf("stats %+v, want 1 reset and %d bytes down", st, tc.k)
			}
		})
	}
	got, err := roundTrip(t, srv.TCPAddr, []byte("still here"))
	if err != nil || string(got) != "STILL HERE" {
		t.Fatalf("server after resets: got %q, err %v", got, err)
	}
}

// A reset injected at offset K of the request reaches the server as a reset
// after K bytes, and the client as a reset too; the server goes on serving
// new connections, through the proxy and directly.
func TestResetUp(t *testing.T) {
	srv, log := startServer(t)
	const k = 10
	tr := &tracer{}
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{
		Up:    faultproxy.Faults{Reset: true, ResetAt: k},
		Trace: tr.trace,
	})
	c := dial(t, p.Addr())
	msg := payload(100)
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := readAll(c, len(msg))
	if !isReset(err) {
		t.Fatalf("read ended with %v after %d bytes, want ECONNRESET", err, len(got))
	}
	// The server may have answered some of the K bytes before the reset.
	if !bytes.HasPrefix(upper(msg[:k]), got) {
		t.Fatalf("got %q before the reset, want a prefix of %q", got, upper(msg[:k]))
	}
	waitFor(t, "the server to log a reset", log.sawReset)
	waitIdle(t, p)
	if st := p.Stats(); st.Resets != 1 || st.BytesUp != k {
		t.Errorf("stats %+v, want 1 reset and %d bytes up", st, k)
	}

	// Shorter than K: no reset, EOF passes through.
	got, err = roundTrip(t, p.Addr(), []byte("short"))
	if err != nil || string(got) != "SHORT" {
		t.Fatalf("through proxy after reset: got %q, err %v; want \"SHORT\" and EOF", got, err)
	}
	got, err = roundTrip(t, srv.TCPAddr, []byte("direct"))
	if err != nil || string(got) != "DIRECT" {
		t.Fatalf("direct after reset: got %q, err %v", got, err)
	}
}

// A client's reset is passed on to the server as a reset.
func TestClientResetPassesThrough(t *testing.T) {
	srv, log := startServer(t)
	tr := &tracer{}
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{Trace: tr.trace})
	c := dial(t, p.Addr())
	if _, err := c.Write([]byte("abc")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 3)
	if _, err := c.Read(buf); err != nil || string(buf) != "ABC" {
		// One read suffices on loopback for three bytes written at once,
		// but is not promised: read the rest.
		if err == nil {
			_, err = c.Read(buf[1:])
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	c.SetLinger(0)
	c.Close()
	waitFor(t, "the server to log a reset", log.sawReset)
	waitIdle(t, p)
	if ev := tr.find(0, faultproxy.Up, faultproxy.ResetPassed); len(ev) != 1 {
		t.Errorf("up reset-passed events %v, want one", ev)
	}
	if st := p.Stats(); st.PassedResets != 1 {
		t.Errorf("stats %+v, want 1 passed reset", st)
	}
}

// An upstream's reset reaches the client as a reset, after the bytes the
// upstream sent before it.
func TestServerResetPassesThrough(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		c.SetDeadline(time.Now().Add(ioTimeout))
		// Wait for the client's byte, so that the reset cannot reach
		// the client before its handshake completes.
		if _, err = c.Read(make([]byte, 1)); err == nil {
			_, err = c.Write([]byte("bye"))
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		served <- err
	}()
	p := startProxy(t, ln.Addr().String(), faultproxy.Config{})
	c := dial(t, p.Addr())
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := readAll(c, 100)
	if err := <-served; err != nil {
		t.Fatalf("upstream: %v", err)
	}
	if !isReset(err) || string(got) != "bye" {
		t.Fatalf("got %q then %v, want \"bye\" then ECONNRESET", got, err)
	}
}

// A client whose upstream cannot be reached is reset.
func TestDialErrorResetsClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := startProxy(t, addr, faultproxy.Config{})
	got, err := dialAndRead(p.Addr())
	if !isReset(err) || len(got) != 0 {
		t.Fatalf("got %q then %v, want ECONNRESET", got, err)
	}
	waitIdle(t, p)
	if st := p.Stats(); st.DialErrors != 1 {
		t.Errorf("stats %+v, want 1 dial error", st)
	}
}

// dialAndRead connects to addr and reads until an error, for a connection
// the proxy resets at once: the reset may end the connect itself, when it
// arrives before the connect returns, or the first read.
func dialAndRead(addr string) ([]byte, error) {
	d := net.Dialer{KeepAlive: -1, Timeout: ioTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	return readAll(c, 10)
}

// A reset injected after more bytes than the client's buffers hold, while
// the client is not reading yet, still comes after exactly K bytes: the
// proxy waits for them to be sent before it resets.
func TestResetDownWaitsForSentBytes(t *testing.T) {
	srv, _ := startServer(t)
	const k = 1 << 20
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{Down: faultproxy.Faults{Reset: true, ResetAt: k}})
	c := dial(t, p.Addr())
	// The client's buffers hold much less than K: its receive buffer
	// stays small.
	if err := c.SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	msg := payload(k + 64<<10)
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		wrote <- err
	}()
	// Read nothing until the proxy has relayed the K bytes before the
	// reset and holds the reset, the client's buffers full: it relays no
	// byte past K, so BytesDown reaching K is that moment.
	waitFor(t, "the proxy to relay the K bytes before the reset", func() bool { return p.Stats().BytesDown >= k })
	if st := p.Stats(); st.Resets != 0 || st.BytesDown != k {
		t.Fatalf("stats %+v before the client read: want %d bytes relayed and the reset held", st, k)
	}
	got, err := readAll(c, len(msg))
	werr := <-wrote
	// The reset ends whichever of the client's reads and writes sees it
	// first; the other then sees EOF or a broken pipe.
	if !isReset(err) && !isReset(werr) {
		t.Fatalf("read ended with %v, write with %v; want ECONNRESET on one", err, werr)
	}
	if !bytes.Equal(got, upper(msg[:k])) {
		t.Fatalf("got %d bytes before the reset, want exactly %d", len(got), k)
	}
}
