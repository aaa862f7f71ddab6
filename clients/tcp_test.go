package clients_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

func dial(t *testing.T, addr string) *clients.TCPConn {
	t.Helper()
	c, err := clients.DialTCP(testContext(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTCPRoundTrip(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	ctx := testContext(t)
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	for _, msg := range [][]byte{[]byte("client33333"), []byte("client11111"), allBytes, []byte("x")} {
		got, err := c.RoundTrip(ctx, msg)
		if err != nil {
			t.Fatalf("RoundTrip(%q): %v", msg, err)
		}
		if want := upper(msg); !bytes.Equal(got, want) {
			t.Fatalf("RoundTrip(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestTCPWriteChunksOfOneByte(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	ctx := testContext(t)
	p := clients.Payload(3, 100)
	if err := c.WriteChunks(ctx, p, []int{1}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadFull(ctx, len(p))
	if err != nil {
		t.Fatal(err)
	}
	if want := upper(p); !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTCPWriteChunksCycleAndPause(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	c.SetNoDelay(true)
	ctx := testContext(t)
	p := clients.Payload(4, 50)
	// Sizes below one count as one; the pauses put each chunk in a segment
	// of its own, and the stream must still come back whole.
	start := time.Now()
	if err := c.WriteChunks(ctx, p, []int{0, 5, -3, 20}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// 50 bytes in chunks 1,5,1,20,1,5,1,16: eight chunks, seven pauses.
	if d := time.Since(start); d < 7*time.Millisecond {
		t.Errorf("WriteChunks took %v, want at least the 7 pauses", d)
	}
	got, err := c.ReadFull(ctx, len(p))
	if err != nil {
		t.Fatal(err)
	}
	if want := upper(p); !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTCPCloseWriteThenReadToEndIsEOF(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	ctx := testContext(t)
	p := clients.Payload(5, 10000)
	if err := c.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	r := c.ReadToEnd(ctx, 1<<20)
	if r.End != clients.EndEOF || r.Err != nil {
		t.Fatalf("End = %v (err %v), want EOF", r.End, r.Err)
	}
	if r.Total != int64(len(p)) || !bytes.Equal(r.Data, upper(p)) {
		t.Fatalf("got %d bytes (%d kept), want upper of the %d sent", r.Total, len(r.Data), len(p))
	}
}

func TestTCPReadFullShortStream(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	ctx := testContext(t)
	if err := c.Write(ctx, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	got, err := c.ReadFull(ctx, 10)
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(got) != "ABC" {
		t.Fatalf("ReadFull = %q, %v; want \"ABC\", unexpected EOF", got, err)
	}
}

func TestTCPExchangeMiBs(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	p := clients.Payload(6, 4<<20)
	r := c.Exchange(testContext(t), p, []int{1000, 7, 4096, 333, 65536}, len(p))
	if r.End != clients.EndEOF || r.Err != nil || r.WriteErr != nil {
		t.Fatalf("End = %v (err %v, write err %v), want EOF", r.End, r.Err, r.WriteErr)
	}
	if r.Total != int64(len(p)) || !bytes.Equal(r.Data, upper(p)) {
		t.Fatalf("got %d bytes (%d kept), want upper of the %d sent", r.Total, len(r.Data), len(p))
	}
}

func TestTCPExchangeEmpty(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.TCPAddr)
	r := c.Exchange(testContext(t), nil, nil, 10)
	if r.End != clients.EndEOF || r.Total != 0 || len(r.Data) != 0 || r.WriteErr != nil {
		t.Fatalf("Exchange(nil) = %+v, want EOF with nothing", r)
	}
}

// endless writes to the client until it goes away, without reading.
func endless(c *net.TCPConn, done <-chan struct{}) {
	buf := bytes.Repeat([]byte("endless-"), 4096)
	for {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

func TestTCPReadToEndLimit(t *testing.T) {
	s := newLocalServer(t, endless)
	c := dial(t, s.Addr)
	const limit = 100000
	r := c.ReadToEnd(testContext(t), limit)
	if r.End != clients.EndLimit || r.Err == nil {
		t.Fatalf("End = %v (err %v), want limit", r.End, r.Err)
	}
	if len(r.Data) != limit || r.Total <= limit {
		t.Fatalf("kept %d of %d bytes, want %d of more", len(r.Data), r.Total, limit)
	}
	if want := bytes.Repeat([]byte("endless-"), limit/8); !bytes.Equal(r.Data, want) {
		t.Fatal("Data is not the first limit bytes of the stream")
	}
}

func TestTCPExchangeLimitStopsWriter(t *testing.T) {
	// The server writes without end and never reads: the writer blocks on
	// full buffers until reading stops at the limit and stops it.
	s := newLocalServer(t, endless)
	c := dial(t, s.Addr)
	p := clients.Payload(1, 32<<20)
	r := c.Exchange(testContext(t), p, nil, 1000)
	if r.End != clients.EndLimit || len(r.Data) != 1000 {
		t.Fatalf("End = %v with %d bytes kept, want limit with 1000", r.End, len(r.Data))
	}
	if r.WriteErr == nil || !strings.Contains(r.WriteErr.Error(), "reading ended") {
		t.Fatalf("WriteErr = %v, want writing stopped because reading ended", r.WriteErr)
	}
}

// holding accepts and never answers, until the test ends.
func holding(c *net.TCPConn, done <-chan struct{}) { <-done }

func TestTCPReadToEndTimeout(t *testing.T) {
	s := newLocalServer(t, holding)
	c := dial(t, s.Addr)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	r := c.ReadToEnd(ctx, 100)
	if r.End != clients.EndTimeout || !errors.Is(r.Err, os.ErrDeadlineExceeded) {
		t.Fatalf("End = %v (err %v), want timeout", r.End, r.Err)
	}
	if errors.Is(r.Err, context.Canceled) {
		t.Fatalf("err %v says cancelled; the deadline passed", r.Err)
	}
}

func TestTCPCancelWakesBlockedRead(t *testing.T) {
	s := newLocalServer(t, holding)
	c := dial(t, s.Addr)
	for _, op := range []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"ReadToEnd", func(ctx context.Context) error {
			r := c.ReadToEnd(ctx, 10)
			if r.End != clients.EndTimeout {
				t.Errorf("End = %v, want timeout", r.End)
			}
			return r.Err
		}},
		{"ReadFull", func(ctx context.Context) error { _, err := c.ReadFull(ctx, 10); return err }},
		{"RoundTrip", func(ctx context.Context) error { _, err := c.RoundTrip(ctx, []byte("abc")); return err }},
	} {
		// No deadline: only the cancel (or DefaultTimeout, a failure) ends it.
		ctx, cancel := context.WithCancel(t.Context())
		timer := time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := op.do(ctx)
		elapsed := time.Since(start)
		timer.Stop()
		cancel()
		if !errors.Is(err, context.Canceled) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: err = %v, want a timeout wrapping context.Canceled", op.name, err)
		}
		if elapsed > clients.DefaultTimeout/2 {
			t.Errorf("%s: returned after %v: the cancel did not wake it", op.name, elapsed)
		}
	}
}

// resetting resets every connection at once.
func resetting(c *net.TCPConn, done <-chan struct{}) {
	c.SetLinger(0)
	c.Close()
}

func TestTCPReadToEndReset(t *testing.T) {
	// The server resets once it has a byte: resetting at accept could reach
	// the client before its connect has returned.
	s := newLocalServer(t, func(c *net.TCPConn, done <-chan struct{}) {
		io.ReadFull(c, make([]byte, 1))
		resetting(c, done)
	})
	c := dial(t, s.Addr)
	ctx := testContext(t)
	if err := c.Write(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	r := c.ReadToEnd(ctx, 100)
	if r.End != clients.EndReset || !errors.Is(r.Err, syscall.ECONNRESET) {
		t.Fatalf("End = %v (err %v), want reset", r.End, r.Err)
	}
}

func TestTCPExchangeReset(t *testing.T) {
	// The server reads a little, then resets in the middle of the request.
	s := newLocalServer(t, func(c *net.TCPConn, done <-chan struct{}) {
		io.ReadFull(c, make([]byte, 1000))
		resetting(c, done)
	})
	c := dial(t, s.Addr)
	r := c.Exchange(testContext(t), clients.Payload(2, 32<<20), []int{64 << 10}, 1<<20)
	if r.End != clients.EndReset {
		t.Fatalf("End = %v (err %v, write err %v), want reset", r.End, r.Err, r.WriteErr)
	}
	if r.WriteErr == nil {
		t.Fatal("WriteErr = nil: the reset came before the last byte was written")
	}
}

func TestTCPResetSendsRST(t *testing.T) {
	seen := make(chan error, 1)
	s := newLocalServer(t, func(c *net.TCPConn, done <-chan struct{}) {
		_, err := io.ReadAll(c)
		seen <- err
	})
	c := dial(t, s.Addr)
	ctx := testContext(t)
	if err := c.Write(ctx, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-seen:
		if clients.EndOf(err) != clients.EndReset {
			t.Fatalf("server read ended with %v, want a reset", err)
		}
	case <-ctx.Done():
		t.Fatal("server never saw the connection end")
	}
}

func TestTCPCloseIsOrderlyWhenNothingIsPending(t *testing.T) {
	seen := make(chan error, 1)
	s := newLocalServer(t, func(c *net.TCPConn, done <-chan struct{}) {
		_, err := io.ReadAll(c)
		seen <- err
	})
	c := dial(t, s.Addr)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-seen:
		if err != nil {
			t.Fatalf("server read ended with %v, want EOF", err)
		}
	case <-testContext(t).Done():
		t.Fatal("server never saw the connection end")
	}
}

func TestDialTCPRefused(t *testing.T) {
	addr := closedPort(t)
	_, err := clients.DialTCP(testContext(t), addr)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("DialTCP(%s) = %v, want connection refused", addr, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := clients.DialTCP(ctx, addr); !errors.Is(err, context.Canceled) {
		t.Fatalf("DialTCP with a cancelled ctx = %v, want context.Canceled", err)
	}
}

// closedPort returns a loopback address that nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
