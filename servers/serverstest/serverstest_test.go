package serverstest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/internal/ipv6test"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testTimeout = 10 * time.Second

// tcpRoundTrip sends msg on a new connection and wants want back.
func tcpRoundTrip(t *testing.T, addr, msg, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := clients.DialTCP(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.RoundTrip(ctx, []byte(msg))
	if err != nil || string(got) != want {
		t.Fatalf("TCP reply %q, %v; want %q", got, err, want)
	}
}

// udpRoundTrip sends msg, again while no reply comes (loopback may drop a
// datagram), and wants want back.
func udpRoundTrip(t *testing.T, addr, msg, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := clients.DialUDP(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, _, err := c.RoundTrip(ctx, []byte(msg), 10, nil)
	if err != nil || string(d.Data) != want {
		t.Fatalf("UDP reply %q, %v; want %q", d.Data, err, want)
	}
}

func TestNewServer(t *testing.T) {
	s := NewServer()
	defer s.Close()
	if s.TCPAddr == "" || s.UDPAddr == "" {
		t.Fatalf("addresses %q and %q, want both set", s.TCPAddr, s.UDPAddr)
	}
	tcpRoundTrip(t, s.TCPAddr, "client33333", "CLIENT33333")
	udpRoundTrip(t, s.UDPAddr, "client1111", "CLIENT1111")
}

func TestOneProtocol(t *testing.T) {
	tcp := NewTCPServer()
	defer tcp.Close()
	udp := NewUDPServer()
	defer udp.Close()
	if tcp.UDPAddr != "" || tcp.UDP != nil || udp.TCPAddr != "" || udp.TCP != nil {
		t.Fatalf("single-protocol servers serve the other protocol too: %q, %q", tcp.UDPAddr, udp.TCPAddr)
	}
	tcpRoundTrip(t, tcp.TCPAddr, "tcp", "TCP")
	udpRoundTrip(t, udp.UDPAddr, "udp", "UDP")
}

func TestUnstartedServerTakesSettings(t *testing.T) {
	s := NewUnstartedServer()
	s.UDP.MaxDatagram = 4
	s.Start()
	defer s.Close()
	udpRoundTrip(t, s.UDPAddr, "abcdefgh", "ABCD")
}

// TestCloseFreesEverything checks that Close, called twice and
// concurrently, returns nil each time, and that the ports are free after.
func TestCloseFreesEverything(t *testing.T) {
	s := NewServer()
	tcpRoundTrip(t, s.TCPAddr, "x", "X")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close = %v", err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("Close again = %v", err)
	}
	ln, err := net.Listen("tcp", s.TCPAddr)
	if err != nil {
		t.Fatalf("TCP port still held after Close: %v", err)
	}
	ln.Close()
	pc, err := net.ListenPacket("udp", s.UDPAddr)
	if err != nil {
		t.Fatalf("UDP port still held after Close: %v", err)
	}
	pc.Close()
}

func TestCloseUnstarted(t *testing.T) {
	if err := NewUnstartedServer().Close(); err != nil {
		t.Fatalf("Close of an unstarted server = %v", err)
	}
}

// TestHost: a server given a Host listens there, IPv6 included.
func TestHost(t *testing.T) {
	for _, tc := range []struct{ host, prefix string }{
		{"127.0.0.2", "127.0.0.2:"},
		{"::1", "[::1]:"},
		{"[::1]", "[::1]:"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			if strings.Contains(tc.host, ":") {
				ipv6test.Need(t)
			}
			s := NewUnstartedServer()
			s.Host = tc.host
			s.Start()
			defer s.Close()
			if !strings.HasPrefix(s.TCPAddr, tc.prefix) || !strings.HasPrefix(s.UDPAddr, tc.prefix) {
				t.Fatalf("addresses %q and %q, want them on %s", s.TCPAddr, s.UDPAddr, tc.host)
			}
			tcpRoundTrip(t, s.TCPAddr, "client33333", "CLIENT33333")
			udpRoundTrip(t, s.UDPAddr, "client1111", "CLIENT1111")
		})
	}
}

// TestHostNotThere: a Host the machine does not have panics, as a loopback
// that cannot be bound does, and leaves nothing running.
func TestHostNotThere(t *testing.T) {
	s := NewUnstartedServer()
	s.Host = "192.0.2.1" // TEST-NET-1: never a local address
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.HasPrefix(msg, "serverstest: listen tcp: ") {
			t.Errorf("Start panicked with %v, want serverstest: listen tcp: ...", r)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	}()
	s.Start()
}
