package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// listenUDP opens an unconnected UDP socket on an ephemeral loopback port;
// the test closes it when it ends.
func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.UDPConn)
}

// startUDP serves s on pc (a fresh loopback socket if nil) and closes s
// when the test ends.
func startUDP(t *testing.T, s *UDPServer, pc net.PacketConn) (netip.AddrPort, *serveResult) {
	t.Helper()
	if pc == nil {
		pc = listenUDP(t)
	}
	addr := netip.MustParseAddrPort(pc.LocalAddr().String())
	r := serveAsync(func() error { return s.Serve(pc) })
	t.Cleanup(func() {
		s.Close()
		r.wait(t)
	})
	return addr, r
}

// exchange sends msg from c to the server at to until a datagram equal to
// want arrives, and returns that datagram's source. Loopback may drop
// datagrams, so it retries with growing waits for up to testTimeout; a
// datagram that is not want (a late reply to an earlier try, say) is
// skipped, but named in the failure if want never comes.
func exchange(t *testing.T, c *net.UDPConn, to netip.AddrPort, msg, want []byte) netip.AddrPort {
	t.Helper()
	from, err := tryExchange(c, to, msg, want)
	if err != nil {
		t.Fatal(err)
	}
	return from
}

func tryExchange(c *net.UDPConn, to netip.AddrPort, msg, want []byte) (netip.AddrPort, error) {
	buf := make([]byte, 1<<16)
	deadline := time.Now().Add(testTimeout)
	wait := 50 * time.Millisecond
	var other []byte
	for time.Now().Before(deadline) {
		if _, err := c.WriteToUDPAddrPort(msg, to); err != nil {
			return netip.AddrPort{}, fmt.Errorf("send %d bytes: %w", len(msg), err)
		}
		until := time.Now().Add(wait)
		if until.After(deadline) {
			until = deadline
		}
		c.SetReadDeadline(until)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				if clients.IsTimeout(err) {
					break
				}
				return netip.AddrPort{}, fmt.Errorf("receive: %w", err)
			}
			if bytes.Equal(buf[:n], want) {
				return from, nil
			}
			other = bytes.Clone(buf[:n])
		}
		wait = min(2*wait, time.Second)
	}
	if other != nil {
		return netip.AddrPort{}, fmt.Errorf("no reply to a %d-byte datagram equal to the %d bytes wanted; the last other datagram had %d bytes: %q", len(msg), len(want), len(other), clip(other))
	}
	return netip.AddrPort{}, fmt.Errorf("no reply to a %d-byte datagram", len(msg))
}

func TestUDPZeroValueServes(t *testing.T) {
	var s UDPServer
	addr, _ := startUDP(t, &s, nil)
	exchange(t, listenUDP(t), addr, []byte("client33333"), []byte("CLIENT33333"))
}

func TestUDPRoundTrip(t *testing.T) {
	addr, _ := startUDP(t, &UDPServer{}, nil)
	c := listenUDP(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for i, msg := range [][]byte{
		[]byte("client33333"),
		[]byte("a"),
		all,
		payload(1024, 21),
		payload(1500, 22),
		payload(4096, 23),
	} {
		// A unique prefix keeps a late reply to one message from being
		// taken for another's.
		msg = append(fmt.Appendf(nil, "%d:", i), msg...)
		exchange(t, c, addr, msg, naiveUpper(msg))
	}
}

// TestUDPReplySource checks UDP-SOURCE: the reply comes from the address
// the request went to, so a connected client, whose kernel drops datagrams
// from any other source, gets it too.
func TestUDPReplySource(t *testing.T) {
	addr, _ := startUDP(t, &UDPServer{}, nil)
	if from := exchange(t, listenUDP(t), addr, []byte("source"), []byte("SOURCE")); from != addr {
		t.Fatalf("reply came from %v, want the server's address %v", from, addr)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 64)
	deadline := time.Now().Add(testTimeout)
	for {
		if time.Now().After(deadline) {
			t.Fatal("connected client got no reply")
		}
		if _, err := conn.Write([]byte("connected")); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if clients.IsTimeout(err) {
			continue
		}
		if err != nil || string(buf[:n]) != "CONNECTED" {
			t.Fatalf("connected client got %q, %v; want %q", buf[:n], err, "CONNECTED")
		}
		break
	}
}

// TestUDPEmptyDatagram checks UDP-EMPTY.
func TestUDPEmptyDatagram(t *testing.T) {
	addr, _ := startUDP(t, &UDPServer{}, nil)
	exchange(t, listenUDP(t), addr, nil, []byte{})
}

// TestUDPSize checks UDP-SIZE: up to MaxDatagram bytes come back whole, a
// longer datagram comes back cut to its first MaxDatagram bytes.
func TestUDPSize(t *testing.T) {
	for _, tc := range []struct {
		max, size, want int
	}{
		{0, 8192, 8192},
		{0, 8193, 8192},
		{0, 65507, 8192},
		{100, 100, 100},
		{100, 101, 100},
		{1, 2, 1},
		{65535, 65507, 65507},
	} {
		t.Run(fmt.Sprintf("max=%d/size=%d", tc.max, tc.size), func(t *testing.T) {
			addr, _ := startUDP(t, &UDPServer{MaxDatagram: tc.max}, nil)
			msg := payload(tc.size, uint64(tc.size))
			exchange(t, listenUDP(t), addr, msg, naiveUpper(msg[:tc.want]))
		})
	}
}

// TestUDPClosedPortSurvives checks UDP-SURVIVE: replies to sockets that
// closed before they came do not stop the server. The server's socket asks
// for ICMP errors (IP_RECVERR, where the system has it), and each reply is
// held until its client has closed, so that every reply hits a closed
// port, the kernel answers with ICMP port unreachable, and the server's
// next read fails with ECONNREFUSED, as on Windows: the test sees that it
// did (the server logs it), and that the server answers after.
func TestUDPClosedPortSurvives(t *testing.T) {
	pc := newFaultyPacketConn(t)
	icmp := recvErr(t, pc.PacketConn.(*net.UDPConn))
	closed := make(chan struct{})
	pc.hold = func([]byte) { <-closed }
	var logs lockedBuffer
	s := &UDPServer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	addr, served := startUDP(t, s, pc)
	const rounds = 5
	for i := range rounds {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		// First make sure the server answers this socket at all.
		probe := fmt.Appendf(nil, "probe %d", i)
		if _, err := tryExchange(c, addr, probe, naiveUpper(probe)); err != nil {
			c.Close()
			t.Fatal(err)
		}
		if _, err := c.WriteToUDPAddrPort(fmt.Appendf(nil, "held %d", i), addr); err != nil {
			t.Fatal(err)
		}
		c.Close()
		closed <- struct{}{} // the reply may go now, to a closed port
		if err := await(t, "the reply to the closed port to be sent", pc.wrote); err != nil {
			t.Fatalf("reply to a closed port: %v", err)
		}
		exchange(t, listenUDP(t), addr, fmt.Appendf(nil, "after %d", i), fmt.Appendf(nil, "AFTER %d", i))
	}
	if served.returned() {
		t.Fatalf("Serve returned %v", served.err)
	}
	if !icmp {
		t.Logf("no IP_RECVERR here: the replies hit closed ports, but no ICMP error reached the server")
		return
	}
	waitFor(t, "the server to see the ICMP errors", func() bool { return strings.Contains(logs.String(), "connection refused") })
	t.Logf("the server saw %d of %d ICMP port unreachable errors", strings.Count(logs.String(), "connection refused"), rounds)
}

// faultyPacketConn makes the first reads fail with the error a socket
// reports after an ICMP port unreachable, holds chosen writes, and tells
// when a read deadline is set.
type faultyPacketConn struct {
	net.PacketConn
	failReads atomic.Int32
	// hold, if set, is called before each write with its bytes.
	hold func(p []byte)
	// wrote receives the result of each held write.
	wrote chan error
	// deadline is closed at the first SetReadDeadline.
	deadline     chan struct{}
	deadlineOnce sync.Once
	closed       chan struct{}
	closeOnce    sync.Once
}

func newFaultyPacketConn(t *testing.T) *faultyPacketConn {
	return &faultyPacketConn{
		PacketConn: listenUDP(t),
		wrote:      make(chan error, 16),
		deadline:   make(chan struct{}),
		closed:     make(chan struct{}),
	}
}

func (c *faultyPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.failReads.Add(-1) >= 0 {
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)}
	}
	return c.PacketConn.ReadFrom(p)
}

func (c *faultyPacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.hold != nil && bytes.HasPrefix(p, []byte("HELD")) {
		c.hold(p)
		n, err := c.PacketConn.WriteTo(p, addr)
		c.wrote <- err
		return n, err
	}
	return c.PacketConn.WriteTo(p, addr)
}

func (c *faultyPacketConn) SetReadDeadline(t time.Time) error {
	c.deadlineOnce.Do(func() { close(c.deadline) })
	return c.PacketConn.SetReadDeadline(t)
}

func (c *faultyPacketConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.PacketConn.Close()
}

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestUDPReadErrorsDoNotEndServe checks that read errors belonging to a
// peer (ECONNREFUSED) are logged and the server goes on answering.
func TestUDPReadErrorsDoNotEndServe(t *testing.T) {
	pc := newFaultyPacketConn(t)
	pc.failReads.Store(5)
	var logs lockedBuffer
	s := &UDPServer{Workers: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	addr, served := startUDP(t, s, pc)
	exchange(t, listenUDP(t), addr, []byte("after errors"), []byte("AFTER ERRORS"))
	if served.returned() {
		t.Fatalf("Serve returned %v", served.err)
	}
	if got := strings.Count(logs.String(), "connection refused"); got != 5 {
		t.Fatalf("logged %d read errors, want 5:\n%s", got, logs.String())
	}
}

// TestUDPBurst checks UDP-SURVIVE and UDP-ONCE under a burst: 5000
// datagrams sent at once get at most one reply each, each the uppercase of
// a datagram sent, and the server answers normally afterwards.
func TestUDPBurst(t *testing.T) {
	addr, _ := startUDP(t, &UDPServer{}, nil)
	c := listenUDP(t)
	const burst = 5000
	for i := range burst {
		if _, err := c.WriteToUDPAddrPort(fmt.Appendf(nil, "burst-%05d", i), addr); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[string]bool)
	buf := make([]byte, 1<<16)
	deadline := time.Now().Add(testTimeout)
	for done := false; !done; {
		if time.Now().After(deadline) {
			t.Fatal("no reply to the datagram sent after the burst")
		}
		c.WriteToUDPAddrPort([]byte("after burst"), addr)
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if clients.IsTimeout(err) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			reply := string(buf[:n])
			if reply == "AFTER BURST" {
				done = true
				break
			}
			var i int
			if _, err := fmt.Sscanf(reply, "BURST-%05d", &i); err != nil || i >= burst || reply != fmt.Sprintf("BURST-%05d", i) {
				t.Fatalf("reply %q answers no datagram sent", clip(buf[:n]))
			}
			if seen[reply] {
				t.Fatalf("two replies %q to one datagram", reply)
			}
			seen[reply] = true
		}
	}
	t.Logf("%d of %d burst datagrams answered before the next one", len(seen), burst)
	exchange(t, listenUDP(t), addr, []byte("fresh socket"), []byte("FRESH SOCKET"))
}

// TestUDPConcurrent checks UDP-CONCURRENT: concurrent clients each get only
// their own replies.
func TestUDPConcurrent(t *testing.T) {
	addr, _ := startUDP(t, &UDPServer{}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		c := listenUDP(t)
		wg.Go(func() {
			for j := range 50 {
				msg := fmt.Appendf(nil, "client %d datagram %d", i, j)
				if _, err := tryExchange(c, addr, msg, naiveUpper(msg)); err != nil {
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

func TestUDPBadConfig(t *testing.T) {
	for _, tc := range []struct {
		field string
		s     *UDPServer
	}{
		{"MaxDatagram", &UDPServer{MaxDatagram: -1}},
		{"MaxDatagram", &UDPServer{MaxDatagram: 65536}},
		{"Workers", &UDPServer{Workers: -1}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			pc := listenUDP(t)
			err := tc.s.Serve(pc)
			if err == nil || errors.Is(err, ErrServerClosed) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Serve = %v, want an error naming %s", err, tc.field)
			}
			if _, _, err := pc.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("socket after a failed Serve: ReadFrom = %v, want it closed", err)
			}
			tc.s.Addr = "127.0.0.1:0"
			if err := tc.s.ListenAndServe(); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("ListenAndServe = %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestUDPListenAndServeAddressInUse(t *testing.T) {
	pc := listenUDP(t)
	s := &UDPServer{Addr: pc.LocalAddr().String()}
	err := s.ListenAndServe()
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("ListenAndServe on a used port = %v, want address already in use", err)
	}
	s.Close()
}

// TestUDPShutdownFinishesReply checks that Shutdown lets a reply being
// written go out, then closes the socket and returns.
func TestUDPShutdownFinishesReply(t *testing.T) {
	pc := newFaultyPacketConn(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pc.hold = func([]byte) {
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-pc.closed:
		}
	}
	s := &UDPServer{}
	addr, served := startUDP(t, s, pc)
	c := listenUDP(t)
	// Resend until a worker holds the reply: the first datagram may be lost.
	for sent := false; !sent; {
		c.WriteToUDPAddrPort([]byte("held"), addr)
		select {
		case <-entered:
			sent = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	await(t, "Shutdown to wake the readers", pc.deadline) // Shutdown is waking the readers
	close(release)
	if err := await(t, "the held reply", pc.wrote); err != nil {
		t.Fatalf("the reply held at Shutdown was not sent: %v", err)
	}
	if err := await(t, "Shutdown", shut); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	select {
	case <-pc.closed:
	default:
		t.Fatal("socket still open after Shutdown returned")
	}
	again, err := net.ListenPacket("udp", addr.String())
	if err != nil {
		t.Fatalf("listen on the address after Shutdown: %v", err)
	}
	again.Close()
}

// TestUDPShutdownContextEnds checks that Shutdown returns the context's
// error when a reply cannot be written in time, having closed the socket.
func TestUDPShutdownContextEnds(t *testing.T) {
	pc := newFaultyPacketConn(t)
	entered := make(chan struct{})
	var once sync.Once
	pc.hold = func([]byte) {
		once.Do(func() { close(entered) })
		<-pc.closed
	}
	s := &UDPServer{}
	addr, served := startUDP(t, s, pc)
	c := listenUDP(t)
	for sent := false; !sent; {
		c.WriteToUDPAddrPort([]byte("held"), addr)
		select {
		case <-entered:
			sent = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
}

func TestUDPClose(t *testing.T) {
	s := &UDPServer{}
	addr, served := startUDP(t, s, nil)
	exchange(t, listenUDP(t), addr, []byte("before"), []byte("BEFORE"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	again, err := net.ListenPacket("udp", addr.String())
	if err != nil {
		t.Fatalf("listen on the address after Close: %v", err)
	}
	again.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after Close = %v", err)
	}
	pc := listenUDP(t)
	if err := s.Serve(pc); err != ErrServerClosed {
		t.Fatalf("Serve after Close = %v, want ErrServerClosed", err)
	}
	s.Addr = "127.0.0.1:0"
	if err := s.ListenAndServe(); err != ErrServerClosed {
		t.Fatalf("ListenAndServe after Close = %v, want ErrServerClosed", err)
	}
}

// TestUDPShutdownIdle checks Shutdown on a plain UDP socket, whose workers
// are all waiting for a datagram: it returns at once, Serve returns
// ErrServerClosed, and the port is free again.
func TestUDPShutdownIdle(t *testing.T) {
	s := &UDPServer{}
	addr, served := startUDP(t, s, nil)
	exchange(t, listenUDP(t), addr, []byte("before"), []byte("BEFORE"))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := served.wait(t); err != ErrServerClosed {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	again, err := net.ListenPacket("udp", addr.String())
	if err != nil {
		t.Fatalf("listen on the address after Shutdown: %v", err)
	}
	again.Close()
}
