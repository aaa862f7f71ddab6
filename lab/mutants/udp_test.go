package mutants

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// expectNoDatagram asserts that nothing arrives on c for quiet.
func expectNoDatagram(t *testing.T, c *net.UDPConn, what string) {
	t.Helper()
	b, _, err := recvUDP(c, quiet)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: want no datagram for %v, got %q, %v", what, quiet, b, err)
	}
}

func TestUDPFirstPeer(t *testing.T) {
	_, udpAddr := start(t, UDPFirstPeer())
	a, b := listenUDP(t), listenUDP(t)
	if got := udpExchange(t, a, udpAddr, []byte("first")); string(got) != "FIRST" {
		t.Fatalf("first client: got %q", got)
	}
	// b's datagram is answered to a.
	to, _ := net.ResolveUDPAddr("udp", udpAddr)
	for range 5 {
		b.WriteToUDP([]byte("second"), to)
		got, _, err := recvUDP(a, wait/5)
		if err == nil {
			if string(got) != "SECOND" {
				t.Fatalf("first client received %q; want the second's reply", got)
			}
			expectNoDatagram(t, b, "second client's reply")
			return
		}
	}
	t.Fatal("the second client's reply reached nobody")
}

func TestUDPUnicodeUpper(t *testing.T) {
	_, udpAddr := start(t, UDPUnicodeUpper())
	c := dialUDP(t, udpAddr)
	if got := udpRoundTrip(t, c, []byte("client1111")); string(got) != "CLIENT1111" {
		t.Fatalf("ASCII: got %q", got)
	}
	in := "straße é \xff"
	if got := udpRoundTrip(t, c, []byte(in)); string(got) != "STRAßE É \xef\xbf\xbd" {
		t.Fatalf("%q came back as %q", in, got)
	}
}

func TestUDPSkipEmpty(t *testing.T) {
	_, udpAddr := start(t, UDPSkipEmpty())
	c := dialUDP(t, udpAddr)
	// The reference answers the empty datagram first; the mutant answers
	// only the next one.
	for range 5 {
		c.Write(nil)
		c.Write([]byte("a"))
		got, _, err := recvUDP(c, wait/5)
		if err == nil {
			if string(got) != "A" {
				t.Fatalf("first reply %q; want %q (no reply to the empty datagram)", got, "A")
			}
			expectNoDatagram(t, c, "reply to the empty datagram")
			return
		}
	}
	t.Fatal("no reply at all")
}

func TestUDPSizeMutants(t *testing.T) {
	for _, tc := range []struct {
		m          *Mutant
		whole, cut int // a size answered whole, a size answered truncated
		cutTo      int
	}{
		{UDPSmallBuffer(), 1024, 2000, 1024},
		{UDPOffByOneMax(), 8191, 8192, 8191},
		{UDPNoTruncate(), 8192, 9000, 9000}, // the reference cuts 9000 to 8192
	} {
		t.Run(tc.m.Name, func(t *testing.T) {
			_, udpAddr := start(t, tc.m)
			c := dialUDP(t, udpAddr)
			in := bytes.Repeat([]byte("s"), tc.whole)
			if got := udpRoundTrip(t, c, in); !bytes.Equal(got, upper(string(in))) {
				t.Fatalf("%d bytes: got %d bytes back", tc.whole, len(got))
			}
			in = bytes.Repeat([]byte("s"), tc.cut)
			got := udpRoundTrip(t, c, in)
			if len(got) != tc.cutTo || !bytes.Equal(got, upper(string(in[:tc.cutTo]))) {
				t.Fatalf("%d bytes: got %d bytes back; want %d", tc.cut, len(got), tc.cutTo)
			}
		})
	}
}

func TestUDPNewSocket(t *testing.T) {
	_, udpAddr := start(t, UDPNewSocket())
	server, _ := net.ResolveUDPAddr("udp", udpAddr)
	c := listenUDP(t)
	for range 5 {
		c.WriteToUDP([]byte("a"), server)
		got, from, err := recvUDP(c, wait/5)
		if err != nil {
			continue
		}
		if string(got) != "A" {
			t.Fatalf("got %q", got)
		}
		if from.Port == server.Port {
			t.Fatalf("reply came from the server's port %d", from.Port)
		}
		// A connected client filters the reply out.
		expectNoDatagram(t, dialUDPWrite(t, udpAddr, "b"), "reply on a connected socket")
		return
	}
	t.Fatal("no reply at all")
}

// dialUDPWrite sends p on a new connected socket and returns it.
func dialUDPWrite(t *testing.T, addr, p string) *net.UDPConn {
	c := dialUDP(t, addr)
	if _, err := c.Write([]byte(p)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUDPTwice(t *testing.T) {
	_, udpAddr := start(t, UDPTwice())
	c := dialUDP(t, udpAddr)
	for range 5 {
		c.Write([]byte("once"))
		first, _, err := recvUDP(c, wait/5)
		if err != nil {
			continue
		}
		second, _, err := recvUDP(c, wait/5)
		if err != nil {
			continue // the duplicate was lost; send again
		}
		if string(first) != "ONCE" || string(second) != "ONCE" {
			t.Fatalf("got %q and %q", first, second)
		}
		return
	}
	t.Fatal("never saw two replies to one datagram")
}

func TestUDPFullBuffer(t *testing.T) {
	_, udpAddr := start(t, UDPFullBuffer())
	c := dialUDP(t, udpAddr)
	got := udpRoundTrip(t, c, []byte("abc"))
	if len(got) != 8192 || string(got[:3]) != "ABC" {
		t.Fatalf("reply of %d bytes starting %q; want 8192 starting %q", len(got), got[:min(3, len(got))], "ABC")
	}
	got = udpRoundTrip(t, c, []byte("d"))
	if len(got) != 8192 || string(got[:3]) != "DBC" {
		t.Fatalf("second reply %d bytes starting %q; want the leftovers %q", len(got), got[:min(3, len(got))], "DBC")
	}
	if got := udpRoundTrip(t, c, nil); len(got) != 8192 {
		t.Fatalf("empty datagram: %d-byte reply", len(got))
	}
}

func TestUDPLastPeer(t *testing.T) {
	_, udpAddr := start(t, UDPLastPeer())
	server, _ := net.ResolveUDPAddr("udp", udpAddr)
	a, b := listenUDP(t), listenUDP(t)
	if got := udpExchange(t, a, udpAddr, []byte("alone")); string(got) != "ALONE" {
		t.Fatalf("one client: got %q", got)
	}
	// Bursts from two clients at once: the reader runs ahead of the
	// goroutines it starts, and b, the last sender, receives a's replies.
	deadline := time.Now().Add(wait)
	for round := 0; time.Now().Before(deadline); round++ {
		for i := range 20 {
			a.WriteToUDP(fmt.Appendf(nil, "a-%d-%d", round, i), server)
			b.WriteToUDP(fmt.Appendf(nil, "b-%d-%d", round, i), server)
		}
		for {
			got, _, err := recvUDP(b, 50*time.Millisecond)
			if err != nil {
				break
			}
			if strings.HasPrefix(string(got), "A-") {
				return
			}
		}
		for { // drain a
			if _, _, err := recvUDP(a, time.Millisecond); err != nil {
				break
			}
		}
	}
	t.Fatal("no reply went to the wrong client")
}

func TestUDPDieOnOversize(t *testing.T) {
	m := UDPDieOnOversize()
	tcpAddr, udpAddr := start(t, m)
	c := dialUDP(t, udpAddr)
	in := bytes.Repeat([]byte("m"), 8192)
	if got := udpRoundTrip(t, c, in); !bytes.Equal(got, upper(string(in))) {
		t.Fatalf("8192 bytes: got %d back", len(got))
	}
	c.Write(bytes.Repeat([]byte("m"), 8193))
	err := waitDone(t, m)
	if !strings.Contains(err.Error(), "larger than 8192") {
		t.Fatalf("died of %v", err)
	}
	// The whole process is gone, the TCP side with it.
	if c, err := net.DialTimeout("tcp", tcpAddr, wait); err == nil {
		c.Close()
		t.Fatal("TCP still accepting after the server died")
	}
}

func TestUDPFixedLog(t *testing.T) {
	_, udpAddr := start(t, UDPFixedLog())
	c := dialUDP(t, udpAddr)
	// Every datagram that reaches the server takes an entry, answered or
	// not; send as many as the log holds, one at a time.
	for sent := range fixedLogSize {
		p := fmt.Appendf(nil, "n%d", sent)
		c.Write(p)
		if !awaitReply(c, upper(string(p)), wait/5) {
			t.Logf("datagram %d: no reply (lost); going on", sent)
		}
	}
	// A request lost on its way left room: each probe answered uses it up.
	for probe := 0; ; probe++ {
		if probe == 5 {
			t.Fatalf("still answering after %d datagrams", fixedLogSize+probe)
		}
		p := fmt.Appendf(nil, "probe%d", probe)
		c.Write(p)
		if !awaitReply(c, upper(string(p)), quiet) {
			break
		}
	}
	c.Write([]byte("one more"))
	expectNoDatagram(t, c, fmt.Sprintf("reply after %d datagrams", fixedLogSize))
}

// awaitReply reads from c until want arrives (true) or nothing comes for d.
func awaitReply(c *net.UDPConn, want []byte, d time.Duration) bool {
	for {
		got, _, err := recvUDP(c, d)
		if err != nil {
			return false
		}
		if bytes.Equal(got, want) {
			return true
		}
	}
}

func TestUDPGreeting(t *testing.T) {
	_, udpAddr := start(t, UDPGreeting())
	c := dialUDP(t, udpAddr)
	for range 5 {
		c.Write([]byte("hello"))
		first, _, err := recvUDP(c, wait/5)
		if err != nil {
			continue
		}
		second, _, err := recvUDP(c, wait/5)
		if err != nil {
			continue // the reply was lost; send again
		}
		if string(first) != greeting || string(second) != "HELLO" {
			t.Fatalf("got %q and %q; want the greeting, then the reply", first, second)
		}
		return
	}
	t.Fatal("never saw a greeting and a reply")
}

func TestUDPStaleTail(t *testing.T) {
	_, udpAddr := start(t, UDPStaleTail())
	c := dialUDP(t, udpAddr)
	if got := udpRoundTrip(t, c, []byte("abcdef")); string(got) != "ABCDEF" {
		t.Fatalf("first datagram: got %q", got)
	}
	if got := udpRoundTrip(t, c, []byte("xy")); string(got) != "XYCDEF" {
		t.Fatalf("shorter datagram: got %q; want %q", got, "XYCDEF")
	}
}

func TestUDPPreviousPeer(t *testing.T) {
	_, udpAddr := start(t, UDPPreviousPeer())
	a, b := listenUDP(t), listenUDP(t)
	if got := udpExchange(t, a, udpAddr, []byte("first")); string(got) != "FIRST" {
		t.Fatalf("first client: got %q", got)
	}
	// b's datagram is answered to a, the sender before it.
	to, _ := net.ResolveUDPAddr("udp", udpAddr)
	for range 5 {
		b.WriteToUDP([]byte("second"), to)
		got, _, err := recvUDP(a, wait/5)
		if err == nil {
			if string(got) != "SECOND" {
				t.Fatalf("first client received %q; want the second's reply", got)
			}
			expectNoDatagram(t, b, "second client's reply")
			return
		}
	}
	t.Fatal("the second client's reply reached nobody")
}

func TestUDPDieOnUnreachable(t *testing.T) {
	m := UDPDieOnUnreachable()
	_, udpAddr := start(t, m)
	c := dialUDP(t, udpAddr)
	if got := udpRoundTrip(t, c, []byte("alive")); string(got) != "ALIVE" {
		t.Fatalf("got %q", got)
	}
	// A client that closes before its reply arrives: the reply provokes a
	// port unreachable, which the server's next read returns.
	for try := 0; try < 20; try++ {
		gone := dialUDPWrite(t, udpAddr, "gone")
		gone.Close()
		select {
		case <-m.Done():
			if err := m.Err(); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("died of %v; want connection refused", err)
			}
			return
		case <-time.After(quiet / 3):
		}
	}
	t.Fatal("still running after 20 replies to closed ports")
}

func TestUDPNeverServed(t *testing.T) {
	tcpAddr, udpAddr := start(t, UDPNeverServed())
	c := dialUDP(t, udpAddr)
	for _, p := range []string{"a", "", "hello"} {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatalf("send %q: %v (the port must stay bound)", p, err)
		}
	}
	expectNoDatagram(t, c, "reply from a UDP socket nobody reads")
	// The port is bound: a second send is not refused (no ICMP
	// port unreachable came back).
	if _, err := c.Write([]byte("b")); err != nil {
		t.Fatalf("send after silence: %v", err)
	}
	// The TCP side is the reference.
	tc := dialTCP(t, tcpAddr)
	if got := roundTrip(t, tc, []byte("tcp works")); string(got) != "TCP WORKS" {
		t.Fatalf("TCP round trip: %q", got)
	}
}
