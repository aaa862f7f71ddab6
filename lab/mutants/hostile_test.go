package mutants

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestNeverAccept(t *testing.T) {
	tcpAddr, _ := start(t, NeverAccept())
	c := dialTCP(t, tcpAddr) // the kernel completes the handshake
	writeTCP(t, c, []byte("a"))
	expectNothing(t, c, "reply from a server that never accepts")
}

func TestBacklogFull(t *testing.T) {
	tcpAddr, _ := start(t, BacklogFull())
	d := net.Dialer{Timeout: quiet, KeepAlive: -1}
	c, err := d.Dial("tcp", tcpAddr)
	if err == nil {
		c.Close()
		t.Fatal("connected to a server whose backlog is full")
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("dial: %v; want a timeout", err)
	}
}

func TestSilent(t *testing.T) {
	tcpAddr, _ := start(t, Silent())
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("client33333"))
	expectNothing(t, c, "reply")
	c.CloseWrite()
	expectNothing(t, c, "close after EOF")
}

func TestEndless(t *testing.T) {
	tcpAddr, _ := start(t, Endless())
	c := dialTCP(t, tcpAddr)
	// It sends without being asked, far more than any reply.
	if got := readN(t, c, 1<<20); !bytes.Equal(got, bytes.Repeat([]byte("A"), 1<<20)) {
		t.Fatal("the stream is not all 'A'")
	}
}

func TestTrickle(t *testing.T) {
	tcpAddr, _ := start(t, Trickle())
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("abc"))
	if got := readN(t, c, 5); string(got) != "AAAAA" {
		t.Fatalf("got %q; want a trickle of 'A'", got)
	}
}

func TestGarbage(t *testing.T) {
	tcpAddr, _ := start(t, Garbage())
	c := dialTCP(t, tcpAddr)
	in := make([]byte, 256)
	for i := range in {
		in[i] = byte(i)
	}
	want := upper(string(in))
	got := roundTrip(t, c, in)
	for i := range got {
		if got[i] == want[i] {
			t.Fatalf("byte %#02x came back right, as %#02x", in[i], got[i])
		}
	}
}

func TestCloseAtOnce(t *testing.T) {
	tcpAddr, _ := start(t, CloseAtOnce())
	c := dialTCP(t, tcpAddr)
	if got, err := readToEnd(t, c); len(got) != 0 || err != nil {
		t.Fatalf("got %q, %v; want an orderly end at once", got, err)
	}
}

func TestResetAtOnce(t *testing.T) {
	tcpAddr, _ := start(t, ResetAtOnce())
	d := net.Dialer{Timeout: wait, KeepAlive: -1}
	c, err := d.Dial("tcp", tcpAddr)
	if isReset(err) {
		return // the reset came before connect returned
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := readToEnd(t, c); len(got) != 0 || !isReset(err) {
		t.Fatalf("got %q, %v; want a reset at once", got, err)
	}
}

func TestDieAfter(t *testing.T) {
	m := DieAfter(2)
	tcpAddr, _ := start(t, m)
	for i := range 2 {
		c := dialTCP(t, tcpAddr)
		if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
			t.Fatalf("connection %d: got %q", i+1, got)
		}
		c.Close()
	}
	c := dialTCP(t, tcpAddr)
	c.Write([]byte("a"))
	if got, _ := readToEnd(t, c); len(got) != 0 {
		t.Fatalf("third connection answered %q", got)
	}
	if err := waitDone(t, m); !strings.Contains(err.Error(), "dying after 2 connections") {
		t.Fatalf("died of %v", err)
	}
	if c, err := net.DialTimeout("tcp", tcpAddr, wait); err == nil {
		c.Close()
		t.Fatal("still accepting after it died")
	}
}

func TestStallAfter(t *testing.T) {
	tcpAddr, _ := start(t, StallAfter(1))
	first := dialTCP(t, tcpAddr)
	if got := roundTrip(t, first, []byte("one")); string(got) != "ONE" {
		t.Fatalf("first connection: got %q", got)
	}
	second := dialTCP(t, tcpAddr)
	writeTCP(t, second, []byte("two"))
	expectNothing(t, second, "reply on the connection after the count")
	second.CloseWrite()
	expectNothing(t, second, "close after EOF on the connection after the count")
	if got := roundTrip(t, first, []byte("still")); string(got) != "STILL" {
		t.Fatalf("first connection after the stall: got %q", got)
	}
}

func TestMute(t *testing.T) {
	_, udpAddr := start(t, Mute())
	c := dialUDP(t, udpAddr)
	c.Write([]byte("anyone"))
	expectNoDatagram(t, c, "reply from a mute server")
}

func TestFlood(t *testing.T) {
	_, udpAddr := start(t, Flood())
	c := dialUDP(t, udpAddr)
	if err := c.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	flood := bytes.Repeat([]byte("F"), floodSize)
	for range 5 {
		c.Write([]byte("a"))
		got, _, err := recvUDP(c, wait/5)
		if err != nil {
			continue
		}
		if string(got) != "A" {
			t.Fatalf("first reply %q; want %q", got, "A")
		}
		n := 0
		for {
			got, _, err := recvUDP(c, quiet)
			if err != nil {
				break
			}
			if !bytes.Equal(got, flood) {
				t.Fatalf("after the reply: a datagram of %d bytes; want %d of 'F'", len(got), floodSize)
			}
			n++
		}
		if n == 0 || n > floodCount {
			t.Fatalf("%d datagrams after the reply; want 1 to %d", n, floodCount)
		}
		t.Logf("%d of %d flood datagrams arrived", n, floodCount)
		return
	}
	t.Fatal("no reply at all")
}
