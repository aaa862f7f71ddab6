package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

func TestTCPZeroValueServes(t *testing.T) {
	var s TCPServer
	addr, _ := startTCP(t, &s, nil)
	c := dialTCP(t, addr)
	roundTrip(t, c, []byte("client33333"))
}

func TestTCPRoundTrip(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{}, nil)
	c := dialTCP(t, addr)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, msg := range [][]byte{
		[]byte("client33333"),
		[]byte("a"),
		all,
		[]byte("Mixed Case 123 \x00\xff zZ aA {}`@[]"),
		payload(1024, 1),
		payload(1025, 2),
		payload(64<<10, 3),
	} {
		roundTrip(t, c, msg)
	}
}

// TestTCPReadSize checks that the server reads at most ReadSize bytes at a
// time, and that the reply is still the whole uppercase stream.
func TestTCPReadSize(t *testing.T) {
	for _, tc := range []struct{ readSize, want int }{
		{0, DefaultReadSize},
		{4, 4},
		{32 << 10, 32 << 10},
	} {
		t.Run(fmt.Sprint(tc.readSize), func(t *testing.T) {
			ln := &recordingListener{Listener: listenTCP(t)}
			addr, _ := startTCP(t, &TCPServer{ReadSize: tc.readSize}, ln)
			c := dialTCP(t, addr)
			msg := []byte("abcdefghij")
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := readToEnd(c, 1<<10)
			if err != io.EOF || string(got) != "ABCDEFGHIJ" {
				t.Fatalf("got %q, %v; want %q, EOF", got, err, "ABCDEFGHIJ")
			}
			total, data := 0, 0
			for _, r := range ln.accepted()[0].readCalls() {
				if r.size != tc.want || r.n > tc.want {
					t.Fatalf("server read %d bytes into a %d-byte buffer; want a %d-byte buffer", r.n, r.size, tc.want)
				}
				total += r.n
				if r.n > 0 {
					data++
				}
			}
			if total != len(msg) {
				t.Fatalf("server read %d bytes, want %d", total, len(msg))
			}
			if min := (len(msg) + tc.want - 1) / tc.want; data < min {
				t.Fatalf("server read %d bytes in %d reads, want at least %d", total, data, min)
			}
		})
	}
}

// TestTCPEOFAfterHalfClose checks TCP-EOF: after the client's half-close,
// every reply byte arrives, then an orderly EOF, never a reset; the largest
// case writes 1 MiB while reading concurrently.
func TestTCPEOFAfterHalfClose(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{}, nil)
	for i, size := range []int{0, 1, 11, 1023, 1024, 1025, 64 << 10, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := dialTCP(t, addr)
			msg := payload(size, uint64(i))
			wrote := make(chan error, 1)
			go func() {
				_, err := c.Write(msg)
				if err == nil {
					err = c.CloseWrite()
				}
				wrote <- err
			}()
			got, err := readToEnd(c, size)
			if werr := await(t, "the write", wrote); werr != nil {
				t.Fatalf("write: %v", werr)
			}
			if err != io.EOF {
				t.Fatalf("stream ended after %d of %d bytes with %v, want EOF", len(got), size, err)
			}
			if !bytes.Equal(got, naiveUpper(msg)) {
				t.Fatalf("reply of %d bytes differs from the uppercase of the %d bytes sent", len(got), size)
			}
		})
	}
}

// TestTCPResetEndsOneConnection checks TCP-RESET: a reset, idle or in the
// middle of a reply, ends that connection only.
func TestTCPResetEndsOneConnection(t *testing.T) {
	s := &TCPServer{}
	addr, served := startTCP(t, s, nil)
	other := dialTCP(t, addr)
	roundTrip(t, other, []byte("other"))

	idle := dialTCP(t, addr)
	roundTrip(t, idle, []byte("idle"))
	reset(t, idle)

	// Mid-reply: the client writes 4 MiB without reading, and resets once
	// the first reply bytes have arrived.
	busy := dialTCP(t, addr)
	wrote := make(chan error, 1)
	go func() {
		_, err := flood(busy, 4<<20)
		wrote <- err
	}()
	if _, err := io.ReadFull(busy, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	reset(t, busy)
	await(t, "the write to end", wrote) // with an error: the connection is gone

	roundTrip(t, other, []byte("other again"))
	roundTrip(t, dialTCP(t, addr), []byte("new"))
	if served.returned() {
		t.Fatalf("Serve returned %v after a client reset", served.err)
	}
}

// TestTCPDisconnectMidReply checks TCP-DISCONNECT: a client that closes
// in the middle of its reply (the reply has begun to arrive, most of it is
// still to come) harms nothing else.
func TestTCPDisconnectMidReply(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{}, nil)
	for i := range 20 {
		c := dialTCP(t, addr)
		msg := payload(64<<10, uint64(i))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		first := make([]byte, 1)
		if _, err := io.ReadFull(c, first); err != nil {
			t.Fatalf("connection %d: no reply byte: %v", i, err)
		}
		if first[0] != naiveUpper(msg[:1])[0] {
			t.Fatalf("connection %d: reply begins with %#x, want %#x", i, first[0], naiveUpper(msg[:1])[0])
		}
		c.Close()
	}
	roundTrip(t, dialTCP(t, addr), []byte("still here"))
}

// TestTCPConcurrent checks TCP-CONCURRENT: connections that are idle, that
// never sent a byte, or that do not read their replies do not delay another.
func TestTCPConcurrent(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{}, nil)
	idle := dialTCP(t, addr)
	roundTrip(t, idle, []byte("idle"))
	silent := dialTCP(t, addr)

	// A client that never reads: the server's reply to it blocks.
	stuck := dialTCP(t, addr)
	wrote := make(chan error, 1)
	go func() {
		_, err := flood(stuck, 16<<20)
		wrote <- err
	}()
	defer func() {
		stuck.Close()
		<-wrote
	}()

	c := dialTCP(t, addr)
	roundTrip(t, c, []byte("served"))
	roundTrip(t, idle, []byte("idle again"))
	silent.Write([]byte("late"))
	roundTripRead(t, silent, "LATE")
}

func roundTripRead(t *testing.T, c net.Conn, want string) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// TestTCPIsolation checks TCP-ISOLATION: concurrent clients each get only
// their own bytes.
func TestTCPIsolation(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			c, err := tryDialTCP(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range 50 {
				msg := fmt.Appendf(nil, "client-%d-message-%d-", i, j)
				msg = append(msg, payload(1+j*97, uint64(i*100+j))...)
				if err := tryRoundTrip(c, msg); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTCPMaxConns checks that a connection over MaxConns waits, established,
// and is served once a slot frees.
func TestTCPMaxConns(t *testing.T) {
	addr, _ := startTCP(t, &TCPServer{MaxConns: 1}, nil)
	first := dialTCP(t, addr)
	roundTrip(t, first, []byte("first"))

	second := dialTCP(t, addr) // established: the kernel completes the handshake
	if _, err := second.Write([]byte("second")); err != nil {
		t.Fatal(err)
	}
	// The rule is about absence: while the first holds the only slot, the
	// second gets no reply.
	second.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := second.Read(make([]byte, 16)); !clients.IsTimeout(err) {
		t.Fatalf("connection over MaxConns read %d bytes, %v; want no reply while the slot is taken", n, err)
	}
	second.SetReadDeadline(time.Now().Add(testTimeout))

	first.CloseWrite()
	if _, err := readToEnd(first, 0); err != io.EOF {
		t.Fatalf("first connection ended with %v, want EOF", err)
	}
	roundTripRead(t, second, "SECOND")
	roundTrip(t, second, []byte("again"))
}

// TestTCPIdleTimeout checks that IdleTimeout closes an idle connection in
// order (EOF), whether it sent bytes before or none at all.
func TestTCPIdleTimeout(t *testing.T) {
	t.Parallel()
	const idle = 100 * time.Millisecond
	addr, _ := startTCP(t, &TCPServer{IdleTimeout: idle}, nil)
	var used net.Conn
	retryStalled(t, func() bool {
		since := time.Now()
		used = dialTCP(t, addr)
		return idleRoundTrip(t, used, []byte("used"), since, idle)
	})
	silent := dialTCP(t, addr)
	for _, c := range []net.Conn{used, silent} {
		if got, err := readToEnd(c, 0); err != io.EOF {
			t.Fatalf("idle connection ended after %d bytes with %v, want EOF", len(got), err)
		}
	}
}

// TestTCPIdleTimeoutKeepsActiveConnection checks that bytes arriving within
// IdleTimeout keep a connection open beyond it.
func TestTCPIdleTimeoutKeepsActiveConnection(t *testing.T) {
	t.Parallel()
	const idle = 400 * time.Millisecond
	addr, _ := startTCP(t, &TCPServer{IdleTimeout: idle}, nil)
	var c net.Conn
	retryStalled(t, func() bool {
		start := time.Now()
		since := start
		c = dialTCP(t, addr)
		for i := 0; time.Since(start) < 2*idle; i++ {
			next := time.Now()
			if idleRoundTrip(t, c, fmt.Appendf(nil, "tick %d", i), since, idle) {
				return true
			}
			since = next
			time.Sleep(idle / 10)
		}
		return false
	})
	if _, err := readToEnd(c, 0); err != io.EOF {
		t.Fatalf("connection ended with %v once idle, want EOF", err)
	}
}

// idleRoundTrip is roundTrip against a server with IdleTimeout idle, whose
// idle timer started no earlier than since (the dial, or the previous
// write). If the round trip fails although the bytes reached the server
// well within idle of since, the server is wrong and the test fails. If
// they reached it later, because the test itself was descheduled, the
// server was right to give up: idleRoundTrip reports the stall instead.
func idleRoundTrip(t *testing.T, c net.Conn, msg []byte, since time.Time, idle time.Duration) (stalled bool) {
	t.Helper()
	_, err := c.Write(msg)
	// On loopback a write is in the server's socket when it returns.
	late := time.Since(since) >= idle/2
	if err == nil {
		got := make([]byte, len(msg))
		if _, err = io.ReadFull(c, got); err == nil && !bytes.Equal(got, naiveUpper(msg)) {
			t.Fatalf("reply to %q is %q", msg, got)
		}
	}
	if err != nil && late {
		t.Logf("round trip failed after a stall of %v: %v", time.Since(since), err)
		return true
	}
	if err != nil {
		t.Fatalf("round trip within the idle timeout: %v", err)
	}
	return false
}

// retryStalled runs try until it completes without reporting a stall of
// the test itself, at most five times.
func retryStalled(t *testing.T, try func() (stalled bool)) {
	t.Helper()
	for range 5 {
		if !try() {
			return
		}
	}
	t.Fatal("the test was descheduled for too long five times in a row")
}

// TestTCPIdleTimeoutFreesSlots checks the slow-client story: with MaxConns
// and IdleTimeout, neither a client that sends nothing nor one that never
// reads its replies can hold a slot forever.
func TestTCPIdleTimeoutFreesSlots(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"silent", "nonreading"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			addr, _ := startTCP(t, &TCPServer{MaxConns: 1, IdleTimeout: 200 * time.Millisecond}, nil)
			hog := dialTCP(t, addr)
			wrote := make(chan error, 1)
			if kind == "nonreading" {
				go func() {
					_, err := flood(hog, 64<<20)
					wrote <- err
				}()
			} else {
				wrote <- nil
			}
			c := dialTCP(t, addr)
			roundTrip(t, c, []byte("served once the slot frees"))
			if err := await(t, "the write to end", wrote); kind == "nonreading" && !isReset(err) {
				t.Fatalf("non-reading client's write ended with %v, want a reset or broken pipe", err)
			}
		})
	}
}

func TestTCPBadConfig(t *testing.T) {
	for _, tc := range []struct {
		field string
		s     *TCPServer
	}{
		{"ReadSize", &TCPServer{ReadSize: -1}},
		{"MaxConns", &TCPServer{MaxConns: -1}},
		{"IdleTimeout", &TCPServer{IdleTimeout: -time.Second}},
		{"KeepAlive", &TCPServer{KeepAlive: -time.Second}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			ln := listenTCP(t)
			err := tc.s.Serve(ln)
			if err == nil || errors.Is(err, ErrServerClosed) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Serve = %v, want an error naming %s", err, tc.field)
			}
			if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("listener after a failed Serve: Accept = %v, want it closed", err)
			}
			tc.s.Addr = "127.0.0.1:0"
			if err := tc.s.ListenAndServe(); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("ListenAndServe = %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestTCPListenAndServeAddressInUse(t *testing.T) {
	ln := listenTCP(t)
	defer ln.Close()
	s := &TCPServer{Addr: ln.Addr().String()}
	err := s.ListenAndServe()
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("ListenAndServe on a used port = %v, want address already in use", err)
	}
	s.Close()
}

func TestTCPListenAndServeAfterClose(t *testing.T) {
	s := &TCPServer{Addr: "127.0.0.1:0"}
	s.Close()
	if err := s.ListenAndServe(); err != ErrServerClosed {
		t.Fatalf("ListenAndServe after Close = %v, want ErrServerClosed", err)
	}
}

// TestTCPShutdown checks Shutdown's promises one by one: it stops accepting,
// closes an idle connection in order, lets a reply in flight finish and then
// closes that connection in order, and only then returns.
func TestTCPShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	ln := &recordingListener{Listener: listenTCP(t)}
	ln.hold = func(c *recordingConn, p []byte) {
		if bytes.HasPrefix(p, []byte("IN FLIGHT")) {
			close(entered)
			select {
			case <-release:
			case <-c.closed:
			}
		}
	}
	s := &TCPServer{}
	addr, served := startTCP(t, s, ln)
	idle := dialTCP(t, addr)
	roundTrip(t, idle, []byte("idle"))
	busy := dialTCP(t, addr)
	if _, err := busy.Write([]byte("in flight")); err != nil {
		t.Fatal(err)
	}
	await(t, "the reply to be written", entered) // the server read the bytes and is writing their reply

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	if got, err := readToEnd(idle, 0); err != io.EOF {
		t.Fatalf("idle connection ended after %d bytes with %v, want EOF", len(got), err)
	}
	idle.Close()
	if !refused(addr) {
		t.Fatal("a new connection was accepted during Shutdown")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a reply was in flight", err)
	default:
	}

	close(release)
	if got, err := readToEnd(busy, 64); err != io.EOF || string(got) != "IN FLIGHT" {
		t.Fatalf("connection with a reply in flight got %q, %v; want %q, EOF", got, err, "IN FLIGHT")
	}
	busy.Close()
	if err := await(t, "Shutdown", shut); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	for i, c := range ln.accepted() {
		if !c.isClosed() {
			t.Fatalf("connection %d still open after Shutdown returned", i)
		}
	}
	// The port is free again: nothing of the server holds it.
	again, err := Listen(addr)
	if err != nil {
		t.Fatalf("listen on the address after Shutdown: %v", err)
	}
	again.Close()
}

// TestTCPShutdownMidStream checks that Shutdown in the middle of a 1 MiB
// exchange ends it in order: the client gets a prefix of the uppercase
// stream, the reply to every chunk the server read, then EOF, never a reset
// that would destroy reply bytes still on the way.
func TestTCPShutdownMidStream(t *testing.T) {
	s := &TCPServer{}
	addr, served := startTCP(t, s, nil)
	c := dialTCP(t, addr)
	msg := payload(1<<20, 13)
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		wrote <- err
	}()
	first := make([]byte, 64<<10)
	if _, err := io.ReadFull(c, first); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	rest, err := readToEnd(c, len(msg))
	got := append(first, rest...)
	if err != io.EOF {
		t.Fatalf("stream ended after %d bytes with %v, want EOF", len(got), err)
	}
	if !bytes.Equal(got, naiveUpper(msg[:len(got)])) {
		t.Fatalf("the %d bytes received are not a prefix of the uppercase stream", len(got))
	}
	c.Close()
	await(t, "the write to end", wrote)
	if err := await(t, "Shutdown", shut); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
}

// TestTCPShutdownContextEnds checks that Shutdown returns the context's
// error when a client never reads a large reply, having closed every
// connection: nothing is left running.
func TestTCPShutdownContextEnds(t *testing.T) {
	ln := &recordingListener{Listener: listenTCP(t)}
	s := &TCPServer{}
	addr, served := startTCP(t, s, ln)
	c := dialTCP(t, addr)
	wrote := make(chan error, 1)
	go func() {
		_, err := flood(c, 64<<20)
		wrote <- err
	}()
	waitFor(t, "the server to reply", func() bool {
		conns := ln.accepted()
		return len(conns) == 1 && conns[0].bytesWritten() > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	t.Logf("Shutdown returned after %v", time.Since(start))
	if !ln.accepted()[0].isClosed() {
		t.Fatal("connection still open after Shutdown returned")
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if err := await(t, "the write to end", wrote); err == nil {
		t.Fatal("the client wrote 64 MiB to a closed server without an error")
	}
}

func TestTCPShutdownCanceledContext(t *testing.T) {
	entered := make(chan struct{})
	ln := &recordingListener{Listener: listenTCP(t)}
	ln.hold = func(c *recordingConn, p []byte) {
		close(entered)
		<-c.closed // held until the server closes the connection
	}
	s := &TCPServer{}
	addr, served := startTCP(t, s, ln)
	c := dialTCP(t, addr)
	c.Write([]byte("x"))
	await(t, "the reply to be written", entered)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err != context.Canceled {
		t.Fatalf("Shutdown = %v, want context.Canceled", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if got, err := readToEnd(c, 1); !ended(err) {
		t.Fatalf("client read %q, %v after Shutdown; want the connection ended (EOF or reset)", got, err)
	}
}

// TestTCPClose checks that Close ends listeners and connections at once,
// even a reply that can never be written, and that the server stays closed.
func TestTCPClose(t *testing.T) {
	entered := make(chan struct{})
	ln := &recordingListener{Listener: listenTCP(t)}
	ln.hold = func(c *recordingConn, p []byte) {
		if bytes.HasPrefix(p, []byte("STUCK")) {
			close(entered)
			<-c.closed
		}
	}
	s := &TCPServer{}
	addr, served := startTCP(t, s, ln)
	idle := dialTCP(t, addr)
	roundTrip(t, idle, []byte("idle"))
	stuck := dialTCP(t, addr)
	stuck.Write([]byte("stuck"))
	await(t, "the reply to be written", entered)

	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	for i, c := range ln.accepted() {
		if !c.isClosed() {
			t.Fatalf("connection %d still open after Close returned", i)
		}
	}
	for _, c := range []net.Conn{idle, stuck} {
		if _, err := readToEnd(c, 0); !ended(err) {
			t.Fatalf("client read %v after Close, want the connection ended (EOF or reset)", err)
		}
	}
	if !refused(addr) {
		t.Fatal("a connection was accepted after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after Close = %v", err)
	}
	ln2 := listenTCP(t)
	if err := s.Serve(ln2); err != ErrServerClosed {
		t.Fatalf("Serve after Close = %v, want ErrServerClosed", err)
	}
	if _, err := ln2.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve after Close left its listener open: Accept = %v", err)
	}
}

// TestTCPServeTwoListeners checks that one server serves several listeners
// and Close ends them all.
func TestTCPServeTwoListeners(t *testing.T) {
	s := &TCPServer{}
	a, ra := startTCP(t, s, nil)
	b, rb := startTCP(t, s, nil)
	roundTrip(t, dialTCP(t, a), []byte("a"))
	roundTrip(t, dialTCP(t, b), []byte("b"))
	s.Close()
	for _, r := range []*serveResult{ra, rb} {
		if err := r.wait(t); err != ErrServerClosed {
			t.Fatalf("Serve = %v, want ErrServerClosed", err)
		}
	}
}
