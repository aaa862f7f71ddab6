package clients_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

func dialUDP(t *testing.T, addr string) *clients.UDPConn {
	t.Helper()
	c, err := clients.DialUDP(testContext(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func listenUDP(t *testing.T, addr string) *clients.UDPConn {
	t.Helper()
	c, err := clients.ListenUDP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUDPRoundTrip(t *testing.T) {
	s := startServer(t)
	server := netip.MustParseAddrPort(s.UDPAddr)
	for _, c := range []*clients.UDPConn{dialUDP(t, s.UDPAddr), listenUDP(t, s.UDPAddr)} {
		name := map[bool]string{true: "connected", false: "unconnected"}[c.Connected()]
		if c.Remote != server {
			t.Errorf("%s: Remote = %v, want %v", name, c.Remote, server)
		}
		if l := c.Conn.LocalAddr().(*net.UDPAddr); !l.IP.IsLoopback() {
			t.Errorf("%s: local address %v is not loopback", name, l)
		}
		for _, msg := range [][]byte{[]byte("client1111"), clients.Payload(9, 8192), {}} {
			reply, extra, err := c.RoundTrip(testContext(t), msg, 5, nil)
			if err != nil {
				t.Fatalf("%s: RoundTrip of %d bytes: %v", name, len(msg), err)
			}
			if !bytes.Equal(reply.Data, upper(msg)) || reply.Truncated {
				t.Errorf("%s: reply of %d bytes (truncated %v), want upper of the %d sent", name, len(reply.Data), reply.Truncated, len(msg))
			}
			if reply.From != server {
				t.Errorf("%s: reply from %v, want %v", name, reply.From, server)
			}
			for _, d := range extra {
				// Only a duplicate of an earlier, retried request may be extra.
				if !bytes.Equal(d.Data, upper(msg)) {
					t.Errorf("%s: unexpected extra datagram %q", name, d.Data)
				}
			}
		}
	}
}

func TestUDPRoundTripMatch(t *testing.T) {
	s := startServer(t)
	c := listenUDP(t, s.UDPAddr)
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	strangerAddr := stranger.LocalAddr().(*net.UDPAddr).AddrPort()
	ctx := testContext(t)
	var extra []clients.Datagram
	// A datagram from elsewhere is waiting when the round trip starts: it
	// does not match, so it goes to extra. Repeated in case it was lost.
	for try := 0; try < 5 && len(extra) == 0; try++ {
		if _, err := stranger.WriteToUDPAddrPort([]byte("other"), c.Conn.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
			t.Fatal(err)
		}
		reply, more, err := c.RoundTrip(ctx, []byte("mine"), 5, func(d clients.Datagram) bool {
			return string(d.Data) == "MINE"
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(reply.Data) != "MINE" {
			t.Fatalf("reply %q, want MINE", reply.Data)
		}
		extra = append(extra, more...)
	}
	if len(extra) == 0 {
		t.Fatal("the stranger's datagram never showed up in extra")
	}
	for _, d := range extra {
		if d.From != strangerAddr || string(d.Data) != "other" {
			t.Errorf("extra datagram %q from %v, want \"other\" from %v", d.Data, d.From, strangerAddr)
		}
	}
}

func TestUDPTruncated(t *testing.T) {
	s := startServer(t)
	c := dialUDP(t, s.UDPAddr)
	msg := clients.Payload(1, 100)
	for try := 0; ; try++ {
		if err := c.Send(msg); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout/5)
		d, err := c.Recv(ctx, 10)
		cancel()
		if err != nil {
			if try < 5 {
				continue // lost on loopback: send again
			}
			t.Fatal(err)
		}
		if !d.Truncated || !bytes.Equal(d.Data, upper(msg)[:10]) {
			t.Fatalf("Recv with 10 bytes of buffer = %q (truncated %v), want the first 10, truncated", d.Data, d.Truncated)
		}
		break
	}
	// A datagram exactly the buffer's size is whole.
	reply, _, err := c.RoundTrip(testContext(t), msg[:10], 5, nil)
	if err != nil || reply.Truncated || len(reply.Data) != 10 {
		t.Fatalf("RoundTrip of 10 bytes = %q (truncated %v), %v", reply.Data, reply.Truncated, err)
	}
}

func TestUDPDataIsACopy(t *testing.T) {
	s := startServer(t)
	c := dialUDP(t, s.UDPAddr)
	ctx := testContext(t)
	a, _, err := c.RoundTrip(ctx, []byte("aaaa"), 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.RoundTrip(ctx, []byte("bbbb"), 5, func(d clients.Datagram) bool { return string(d.Data) == "BBBB" }); err != nil {
		t.Fatal(err)
	}
	if string(a.Data) != "AAAA" {
		t.Fatalf("first reply became %q after a second read", a.Data)
	}
}

func TestUDPConnectedRefused(t *testing.T) {
	c := dialUDP(t, closedUDPPort(t))
	_, _, err := c.RoundTrip(testContext(t), []byte("x"), 3, nil)
	if !errors.Is(err, clients.ErrNoReply) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("RoundTrip to a closed port = %v, want no reply: connection refused", err)
	}
	if want := "clients: no reply after 3 tries: connection refused"; err.Error() != want {
		t.Fatalf("error text %q, want %q", err, want)
	}
}

func TestUDPRoundTripCancelled(t *testing.T) {
	// Unconnected: no ICMP error is reported, so only ctx ends the tries.
	c := listenUDP(t, closedUDPPort(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := c.RoundTrip(ctx, []byte("x"), 3, nil)
	if !errors.Is(err, clients.ErrNoReply) || !errors.Is(err, context.Canceled) {
		t.Fatalf("RoundTrip with a cancelled ctx = %v", err)
	}
}

func TestUDPRoundTripTimeout(t *testing.T) {
	c := listenUDP(t, closedUDPPort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 150*1e6)
	defer cancel()
	_, _, err := c.RoundTrip(ctx, []byte("x"), 3, nil)
	if !errors.Is(err, clients.ErrNoReply) || !strings.HasSuffix(err.Error(), "i/o timeout") {
		t.Fatalf("RoundTrip with nobody listening = %v, want no reply: i/o timeout", err)
	}
}

// closedUDPPort returns a loopback UDP address that nothing listens on.
func closedUDPPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestListenUDPResolves(t *testing.T) {
	c, err := clients.ListenUDP("localhost:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Remote.Addr().IsLoopback() || c.Remote.Port() != 7 {
		t.Fatalf("Remote = %v, want loopback port 7", c.Remote)
	}
	if _, err := clients.ListenUDP("no port"); err == nil {
		t.Fatal("ListenUDP without a port succeeded")
	}
}

// TestListenUDPIsolatesLoopbackAddresses shows that a socket for a server
// on 127.0.0.2 is on 127.0.0.2 itself: a datagram another program sends to
// 127.0.0.1 at the socket's port does not reach it, and the server's next
// datagram is the first it reads.
func TestListenUDPIsolatesLoopbackAddresses(t *testing.T) {
	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("no 127.0.0.2 on this system: %v", err)
	}
	defer server.Close()
	c, err := clients.ListenUDP(server.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.Conn.LocalAddr().(*net.UDPAddr).AddrPort()
	if want := netip.MustParseAddr("127.0.0.2"); local.Addr().Unmap() != want {
		t.Fatalf("socket on %v, want %v", local.Addr(), want)
	}
	stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	// Loopback delivers each datagram before its send returns: had the
	// stranger's reached the socket, it would be read first.
	if _, err := stranger.WriteToUDPAddrPort([]byte("stranger"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), local.Port())); err != nil {
		t.Logf("stranger's send: %v", err)
	}
	if _, err := server.WriteToUDPAddrPort([]byte("server"), local); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if err := c.Conn.SetReadDeadline(time.Now().Add(clients.DefaultTimeout)); err != nil {
		t.Fatal(err)
	}
	n, from, err := c.Conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != "server" || from.Port() != server.LocalAddr().(*net.UDPAddr).AddrPort().Port() {
		t.Fatalf("first datagram %q from %v, want \"server\" from %v", got, from, server.LocalAddr())
	}
}
