package mutants

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	// wait bounds every wait for something that must happen.
	wait = 5 * time.Second
	// quiet is how long a check for "nothing arrives" listens; used only
	// where the fault is an absence (no reply, no close).
	quiet = 300 * time.Millisecond
)

// start starts m on loopback and closes it when the test ends.
func start(t *testing.T, m *Mutant) (tcpAddr, udpAddr string) {
	t.Helper()
	tcpAddr, udpAddr, err := m.Start()
	if err != nil {
		t.Fatalf("start %s: %v", m.Name, err)
	}
	t.Cleanup(func() { m.Close() })
	return tcpAddr, udpAddr
}

func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: wait, KeepAlive: -1}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

func writeTCP(t *testing.T, c net.Conn, p []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(wait))
	if _, err := c.Write(p); err != nil {
		t.Fatalf("write %d bytes: %v", len(p), err)
	}
}

// readN reads exactly n bytes.
func readN(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	b := make([]byte, n)
	if got, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: got %d (%q): %v", n, got, b[:got], err)
	}
	return b
}

func roundTrip(t *testing.T, c net.Conn, p []byte) []byte {
	t.Helper()
	writeTCP(t, c, p)
	return readN(t, c, len(p))
}

// expectNothing asserts that for quiet nothing arrives on c and it does not
// end: the read times out.
func expectNothing(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(quiet))
	b := make([]byte, 64)
	n, err := c.Read(b)
	if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: want nothing for %v, got %q, %v", what, quiet, b[:n], err)
	}
}

// readToEnd reads until the stream ends and returns what came and how it
// ended: nil for an orderly EOF.
func readToEnd(t *testing.T, c net.Conn) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("stream did not end within %v; got %d bytes", wait, len(b))
	}
	return b, err
}

func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

func upper(s string) []byte {
	return servers.AppendUpperASCII(nil, []byte(s))
}

// dialUDP returns a connected UDP socket to addr.
func dialUDP(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatalf("dial udp %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// listenUDP returns an unconnected UDP socket on loopback.
func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recvUDP waits up to d for one datagram on c and returns it and its source.
func recvUDP(c *net.UDPConn, d time.Duration) ([]byte, *net.UDPAddr, error) {
	c.SetReadDeadline(time.Now().Add(d))
	b := make([]byte, 65536)
	n, from, err := c.ReadFromUDP(b)
	return b[:n], from, err
}

// udpExchange sends p to addr from c (unconnected) and returns the first
// reply, sending again if a datagram is lost, up to 5 times.
func udpExchange(t *testing.T, c *net.UDPConn, addr string, p []byte) []byte {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := c.WriteToUDP(p, to); err != nil {
			t.Fatalf("send %d bytes: %v", len(p), err)
		}
		b, _, err := recvUDP(c, wait/5)
		if err == nil {
			return b
		}
	}
	t.Fatalf("no reply to a %d-byte datagram after 5 tries", len(p))
	return nil
}

// udpRoundTrip is udpExchange on a connected socket.
func udpRoundTrip(t *testing.T, c *net.UDPConn, p []byte) []byte {
	t.Helper()
	for range 5 {
		if _, err := c.Write(p); err != nil {
			t.Fatalf("send %d bytes: %v", len(p), err)
		}
		b, _, err := recvUDP(c, wait/5)
		if err == nil {
			return b
		}
	}
	t.Fatalf("no reply to a %d-byte datagram after 5 tries", len(p))
	return nil
}

// waitDone waits until m has died by itself and returns why.
func waitDone(t *testing.T, m *Mutant) error {
	t.Helper()
	select {
	case <-m.Done():
	case <-time.After(wait):
		t.Fatalf("%s still running after %v; want it dead", m.Name, wait)
	}
	err := m.Err()
	if err == nil {
		t.Fatalf("%s stopped without an error", m.Name)
	}
	return err
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}
