package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests in this file hold the reference servers to what the suites do
// to other people's servers: many clients streaming while Shutdown comes,
// more clients than MaxConns, many slow clients, a flood of datagrams, and
// addresses that make no sense.

// streamer is a client that writes a block over and over while it reads
// the reply, as TCP-STREAM's clients do, until the server ends the stream.
// It checks the reply as it comes, without keeping it.
type streamer struct {
	c       *net.TCPConn
	block   []byte
	sent    atomic.Int64 // bytes written
	mu      sync.Mutex
	got     int64 // bytes received
	wrong   int64 // where the first wrong byte is, to a piece, or -1
	readErr error
	done    chan struct{} // closed when reading ends
	stopped chan struct{} // closed when writing ends
	// hold, while not closed, stops the reader; after it, the reader
	// takes at most slow bytes at a time, a millisecond apart.
	hold chan struct{}
	slow int
}

// startStreamer connects to addr and streams its block until the server
// ends the reply stream, or a write fails.
func startStreamer(t *testing.T, addr string, seed uint64) *streamer {
	return startSlowStreamer(t, addr, seed, nil, 0)
}

// startSlowStreamer is startStreamer with a reader that waits for hold to
// be closed, then reads slowly (see streamer.hold).
func startSlowStreamer(t *testing.T, addr string, seed uint64, hold chan struct{}, slow int) *streamer {
	t.Helper()
	s := &streamer{c: dialTCP(t, addr), block: payload(16<<10, seed), wrong: -1, done: make(chan struct{}), stopped: make(chan struct{}), hold: hold, slow: slow}
	go func() {
		defer close(s.stopped)
		for {
			select {
			case <-s.done:
				return
			default:
			}
			s.c.SetWriteDeadline(time.Now().Add(testTimeout))
			n, err := s.c.Write(s.block)
			s.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(s.done)
		want := naiveUpper(s.block)
		buf := make([]byte, 32<<10)
		if s.hold != nil {
			<-s.hold
			buf = buf[:s.slow]
		}
		for {
			if s.hold != nil {
				time.Sleep(time.Millisecond)
			}
			s.c.SetReadDeadline(time.Now().Add(testTimeout))
			n, err := s.c.Read(buf)
			s.mu.Lock()
			off := s.got
			for p := buf[:n]; len(p) > 0 && s.wrong < 0; {
				at := int(off % int64(len(want)))
				k := min(len(p), len(want)-at)
				if !bytes.Equal(p[:k], want[at:at+k]) {
					s.wrong = off // the piece from off on holds a wrong byte
				}
				p, off = p[k:], off+int64(k)
			}
			s.got += int64(n)
			s.readErr = err
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *streamer) received() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// TestTCPShutdownUnderLoad checks Shutdown with 8 clients streaming MiBs
// and 10 idle ones: it stops accepting, every streaming client gets a
// prefix of its reply stream (the reply to everything the server read)
// then EOF, never a reset that would destroy reply bytes on their way, the
// idle ones get EOF, and Shutdown returns well within its context.
func TestTCPShutdownUnderLoad(t *testing.T) {
	s := &TCPServer{}
	ln := &countingListener{Listener: listenTCP(t)}
	addr, served := startTCP(t, s, ln)
	var streamers []*streamer
	for i := range 8 {
		streamers = append(streamers, startStreamer(t, addr, uint64(i)))
	}
	var idle []*net.TCPConn
	for range 10 {
		c := dialTCP(t, addr)
		roundTrip(t, c, []byte("idle"))
		idle = append(idle, c)
	}
	waitFor(t, "every streaming client to get replies", func() bool {
		for _, st := range streamers {
			if st.received() < 64<<10 {
				return false
			}
		}
		return true
	})

	const grace = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	shut := make(chan error, 1)
	// Whether Shutdown returned before its context ended, recorded as it
	// returns.
	var early atomic.Bool
	go func() {
		err := s.Shutdown(ctx)
		early.Store(ctx.Err() == nil)
		shut <- err
	}()

	var received int64
	for i, st := range streamers {
		await(t, fmt.Sprintf("streaming client %d's stream to end", i), st.done)
		st.c.Close()
		await(t, fmt.Sprintf("streaming client %d's writes to end", i), st.stopped)
		st.mu.Lock()
		got, wrong, err := st.got, st.wrong, st.readErr
		st.mu.Unlock()
		if err != io.EOF {
			t.Errorf("streaming client %d: stream ended with %v after %d bytes, want EOF", i, err, got)
		}
		if sent := st.sent.Load(); got > sent || wrong >= 0 {
			t.Errorf("streaming client %d: the %d bytes received are not a prefix of upper(the %d bytes sent): first wrong byte at %d", i, got, sent, wrong)
		}
		received += got
	}
	for i, c := range idle {
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if got, err := readToEnd(c, 0); err != io.EOF {
			t.Errorf("idle client %d: read %d bytes, %v; want EOF", i, len(got), err)
		}
		c.Close()
	}
	if err := await(t, "Shutdown", shut); err != nil || !early.Load() {
		t.Fatalf("Shutdown = %v (before its context ended: %v), want nil as soon as the connections ended, within %v", err, early.Load(), grace)
	}
	// Every reply byte the server wrote reached its client: the streams'
	// and the idle clients' "IDLE".
	if written, got := ln.written.Load(), received+int64(4*len(idle)); got != written {
		t.Errorf("the clients received %d reply bytes of the %d the server wrote", got, written)
	}
	t.Logf("Shutdown returned after %v", time.Since(start))
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if !refused(addr) {
		t.Fatal("a connection was accepted after Shutdown")
	}
}

// TestTCPShutdownSlowReader checks Shutdown against a client that streams
// both ways and reads its reply slowly: megabytes of reply are queued when
// Shutdown comes, and the client takes them at a few MB/s, more than a
// second. It must get all of them, then EOF: the server lingers as long as
// the client keeps taking the reply, instead of closing (which, with the
// client's bytes still arriving unread, would reset the connection and
// throw the queued reply away).
func TestTCPShutdownSlowReader(t *testing.T) {
	ln := &countingListener{Listener: listenTCP(t)}
	s := &TCPServer{}
	addr, served := startTCP(t, s, ln)
	hold := make(chan struct{})
	st := startSlowStreamer(t, addr, 1, hold, 2<<10)
	// The reader is held: the replies fill the buffers on the way.
	waitFor(t, "the replies to fill the buffers", func() bool { return ln.written.Load() >= 2<<20 })
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	start := time.Now()
	close(hold)
	await(t, "the stream to end", st.done)
	st.c.Close()
	await(t, "the writes to end", st.stopped)
	st.mu.Lock()
	got, wrong, err := st.got, st.wrong, st.readErr
	st.mu.Unlock()
	t.Logf("read %d bytes in %v after Shutdown", got, time.Since(start))
	if err := await(t, "Shutdown", shut); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	// (A reset may reach the client's writer rather than its reader, which
	// then sees the stream end as if in order: count the bytes.)
	if written := ln.written.Load(); err != io.EOF || wrong >= 0 || got != written {
		t.Errorf("stream ended with %v after %d of the %d reply bytes written (first wrong byte at %d); want every reply byte, then EOF", err, got, written, wrong)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
}

// TestTCPMaxConnsServesInTurn checks that with MaxConns 2, ten clients that
// connect at once are all served, in turn, each with exactly its own reply:
// connections over the bound wait, they are not refused, and no more than
// two are served at once.
func TestTCPMaxConnsServesInTurn(t *testing.T) {
	ln := &countingListener{Listener: listenTCP(t)}
	addr, _ := startTCP(t, &TCPServer{MaxConns: 2}, ln)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		c := dialTCP(t, addr)
		wg.Go(func() {
			msg := fmt.Appendf(nil, "client %d waits its turn", i)
			if _, err := c.Write(msg); err != nil {
				errs <- err
				return
			}
			c.CloseWrite()
			got, err := readToEnd(c, 64)
			if err != io.EOF || !bytes.Equal(got, naiveUpper(msg)) {
				errs <- fmt.Errorf("client %d got %q, %v; want %q, EOF", i, got, err, naiveUpper(msg))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, m := ln.accepted.Load(), ln.most.Load(); n != 10 || m > 2 {
		t.Errorf("%d connections accepted, at most %d at once; want 10, at most MaxConns 2", n, m)
	}
}

// countingListener counts the connections accepted and not yet closed, and
// the most there were at once.
type countingListener struct {
	net.Listener
	accepted, open, most atomic.Int32
	written              atomic.Int64 // bytes written to every connection
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	n := l.open.Add(1)
	for m := l.most.Load(); n > m && !l.most.CompareAndSwap(m, n); m = l.most.Load() {
	}
	return &countedConn{TCPConn: c.(*net.TCPConn), l: l}, nil
}

// countedConn counts what is written to it, and itself out of its
// listener's open connections when it is closed. It is still a socket
// (syscall.Conn), as the server sees its connections.
type countedConn struct {
	*net.TCPConn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.TCPConn.Write(p)
	c.l.written.Add(int64(n))
	return n, err
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.TCPConn.Close()
}

// TestTCPShutdownResetsQueuedConnections checks what TCPServer.Shutdown
// documents for connections over MaxConns: still in the kernel's accept
// queue when the listener closes, they are reset; the one being served
// ends in order.
func TestTCPShutdownResetsQueuedConnections(t *testing.T) {
	s := &TCPServer{MaxConns: 1}
	addr, served := startTCP(t, s, nil)
	first := dialTCP(t, addr)
	roundTrip(t, first, []byte("first"))
	queued := dialTCP(t, addr) // established by the kernel, never accepted
	if _, err := queued.Write([]byte("queued")); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if got, err := readToEnd(queued, 64); !isReset(err) || len(got) != 0 {
		t.Errorf("queued connection read %q, %v; want a reset and nothing else", got, err)
	}
	if got, err := readToEnd(first, 0); err != io.EOF {
		t.Errorf("served connection read %d bytes, %v; want EOF", len(got), err)
	}
	first.Close()
	if err := await(t, "Shutdown", shut); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
}

// TestTCPIdleTimeoutReclaimsSlowloris checks the slow-client story at
// scale: 200 clients connect and send nothing (or one byte, then nothing),
// holding their connections as a slowloris attack does. With IdleTimeout
// each is closed in order once idle, the goroutines serving them end, and
// a well-behaved client is served all along.
func TestTCPIdleTimeoutReclaimsSlowloris(t *testing.T) {
	before := runtime.NumGoroutine()
	const idle = 300 * time.Millisecond
	s := &TCPServer{IdleTimeout: idle}
	addr, _ := startTCP(t, s, nil)
	var slow []*net.TCPConn
	for i := range 200 {
		c := dialTCP(t, addr)
		if i%2 == 1 {
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		slow = append(slow, c)
	}
	good := dialTCP(t, addr)
	roundTrip(t, good, []byte("served while 200 clients dawdle"))
	for i, c := range slow {
		want := ""
		if i%2 == 1 {
			want = "X"
		}
		if got, err := readToEnd(c, 1); err != io.EOF || string(got) != want {
			t.Fatalf("slow client %d read %q, %v; want %q then EOF", i, got, err, want)
		}
		c.Close()
	}
	// The goroutines end once their connections do: back to the count
	// before the server, plus its accept loop and the good client's.
	waitFor(t, "the slow clients' goroutines to end", func() bool {
		return runtime.NumGoroutine() <= before+4
	})
	good.Close()
}

// TestUDPFloodMemoryBounded checks UDP-SURVIVE's flood on the reference: a
// flood of datagrams larger than MaxDatagram, from several sockets that
// never read their replies, leaves the server's memory and goroutines
// bounded (a fixed pool of workers, a buffer each), and it answers a fresh
// socket afterwards.
func TestUDPFloodMemoryBounded(t *testing.T) {
	s := &UDPServer{}
	addr, _ := startUDP(t, s, nil)
	exchange(t, listenUDP(t), addr, []byte("before"), []byte("BEFORE"))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, routines0 := ms.HeapAlloc, runtime.NumGoroutine()
	var heapMost uint64
	var routinesMost int
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heapMost = max(heapMost, ms.HeapAlloc)
		routinesMost = max(routinesMost, runtime.NumGoroutine())
	}

	big := bytes.Repeat([]byte("flood "), 16<<10/6) // over MaxDatagram: read cut short
	const senders, each = 4, 2500
	var wg sync.WaitGroup
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	socks := make([]*net.UDPConn, senders)
	for i := range senders {
		c := listenUDP(t)
		socks[i] = c
		wg.Go(func() {
			for range each {
				if _, err := c.WriteToUDPAddrPort(big, addr); err != nil {
					// ENOBUFS and the like: the flood is over the top,
					// which is the point; go on, and count it.
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				sent.Add(1)
			}
		})
	}
	flooding := make(chan struct{})
	go func() {
		wg.Wait()
		close(flooding)
	}()
	for done := false; !done; {
		select {
		case <-flooding:
			done = true
		case <-time.After(2 * time.Millisecond):
		}
		sample()
	}
	sample()
	growth := int64(heapMost) - int64(heap0)
	t.Logf("flood of %d x %d bytes: %d sent, %d send errors (first: %v); heap grew by %d KiB at most; goroutines %d, at most %d",
		senders*each, len(big), sent.Load(), failed.Load(), firstErr.Load(), growth>>10, routines0, routinesMost)
	// The flood happened: most datagrams left, and the server answered
	// them, each reply the first DefaultMaxDatagram bytes uppercased. The
	// senders never read, so their receive buffers hold only the first few
	// replies; the rest were dropped on the way, as UDP may. Which
	// senders' datagrams the server got before its own receive buffer
	// overflowed is the kernel's choice: only some reply to some sender
	// must come.
	if sent.Load() < senders*each/2 {
		t.Fatalf("only %d of %d datagrams were sent: the flood did not happen", sent.Load(), senders*each)
	}
	want := bytes.ToUpper(big[:DefaultMaxDatagram])
	replies := 0
	for i, c := range socks {
		buf := make([]byte, len(big)+1)
		for {
			// The first reply is waited for (one must come); the queued
			// ones after it are there at once.
			wait := testTimeout
			if replies > 0 {
				wait = 50 * time.Millisecond
			}
			c.SetReadDeadline(time.Now().Add(wait))
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			if !bytes.Equal(buf[:n], want) {
				t.Fatalf("sender %d: a reply of %d bytes, want the first %d bytes uppercased", i, n, len(want))
			}
			replies++
		}
	}
	if replies == 0 {
		t.Fatalf("no reply to any of the flood's %d datagrams", sent.Load())
	}
	t.Logf("%d replies were queued for the senders", replies)
	if growth > 16<<20 {
		t.Errorf("the heap grew by %d MiB during the flood, more than 16 MiB", growth>>20)
	}
	// No goroutine per datagram: the flood's own senders (and the
	// sampler's timers) at most.
	if routinesMost > routines0+senders+4 {
		t.Errorf("%d goroutines during the flood, from %d before: the server starts goroutines per datagram", routinesMost, routines0)
	}
	exchange(t, listenUDP(t), addr, []byte("after the flood"), []byte("AFTER THE FLOOD"))
}

// TestBadAddress checks that an address that makes no sense is an error of
// ListenAndServe that names it, never a panic, for both servers.
func TestBadAddress(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:99999", "127.0.0.1:http-alt-nope", "256.1.1.1:80"} {
		t.Run(addr, func(t *testing.T) {
			for name, serve := range map[string]func() error{
				"tcp": (&TCPServer{Addr: addr}).ListenAndServe,
				"udp": (&UDPServer{Addr: addr}).ListenAndServe,
			} {
				err := serve()
				host, port, _ := strings.Cut(addr, ":")
				if err == nil || errors.Is(err, ErrServerClosed) || !strings.Contains(err.Error(), host) && !(port != "" && strings.Contains(err.Error(), port)) {
					t.Errorf("%s ListenAndServe(%q) = %v, want an error naming the address", name, addr, err)
				}
			}
		})
	}
}
