package mutants

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// readGap is how long the tests wait between two writes that must reach
// the server in two reads.
const readGap = 50 * time.Millisecond

func TestCarryUTF8Lead(t *testing.T) {
	tcpAddr, _ := start(t, CarryUTF8Lead())
	c := dialTCP(t, tcpAddr)
	c.SetNoDelay(true)
	// In one read, a lead byte before a letter is harmless; so is a
	// split lead followed by bytes that are no letters.
	for _, msg := range []string{"x\xe0z", "ab\xe0", "12rest", "\xefz\xe0", "..."} {
		if got := roundTrip(t, c, []byte(msg)); !bytes.Equal(got, upper(msg)) {
			t.Fatalf("%q: got %q, want %q", msg, got, upper(msg))
		}
	}
	// A read ending in a lead byte, then one starting with a letter: the
	// letter is passed through as a continuation byte.
	if got := roundTrip(t, c, []byte("a\xe0")); !bytes.Equal(got, upper("a\xe0")) {
		t.Fatalf("a\\xe0: got %q", got)
	}
	if got := roundTrip(t, c, []byte("zed")); string(got) != "zeD" {
		t.Fatalf("zed after a split lead byte: got %q, want %q", got, "zeD")
	}
}

func TestUDPSessionMute(t *testing.T) {
	_, udpAddr := start(t, UDPSessionMute())
	// An empty datagram then anything else, or 0x00 without an empty
	// datagram before it, is answered.
	c := dialUDP(t, udpAddr)
	for _, msg := range []string{"", "after", "\x00x", "", "a\x00", "\x00"} {
		if got := udpRoundTrip(t, c, []byte(msg)); !bytes.Equal(got, upper(msg)) {
			t.Fatalf("%q: got %q", msg, got)
		}
	}
	// An empty datagram then one starting with 0x00 mutes that source,
	// and that source only.
	if got := udpRoundTrip(t, c, nil); len(got) != 0 {
		t.Fatalf("empty: got %q", got)
	}
	if _, err := c.Write([]byte("\x00bye")); err != nil {
		t.Fatal(err)
	}
	expectNoDatagram(t, c, "the goodbye")
	if _, err := c.Write([]byte("still there?")); err != nil {
		t.Fatal(err)
	}
	expectNoDatagram(t, c, "a datagram after the goodbye")
	other := dialUDP(t, udpAddr)
	if got := udpRoundTrip(t, other, []byte("other")); string(got) != "OTHER" {
		t.Fatalf("another source: got %q", got)
	}
}

func TestScanGuardReset(t *testing.T) {
	tcpAddr, _ := start(t, ScanGuardReset())
	// A silent half-close beside one silent connection and one that
	// wrote: EOF.
	a, b := dialTCP(t, tcpAddr), dialTCP(t, tcpAddr)
	if got := roundTrip(t, b, []byte("b")); string(got) != "B" {
		t.Fatalf("b: got %q", got)
	}
	silent := dialTCP(t, tcpAddr)
	time.Sleep(readGap) // the server has accepted it
	silent.CloseWrite()
	if got, err := readToEnd(t, silent); len(got) != 0 || err != nil {
		t.Fatalf("a silent half-close beside one silent connection: got %q, %v; want EOF", got, err)
	}
	// Three silent, one half-closes having written: EOF.
	c, d := dialTCP(t, tcpAddr), dialTCP(t, tcpAddr)
	time.Sleep(readGap)
	writeTCP(t, d, []byte("d"))
	d.CloseWrite()
	if got, err := readToEnd(t, d); string(got) != "D" || err != nil {
		t.Fatalf("a half-close after a write beside two silent connections: got %q, %v; want \"D\" then EOF", got, err)
	}
	// Three silent, one half-closes without a byte: a reset.
	silent = dialTCP(t, tcpAddr)
	time.Sleep(readGap)
	silent.CloseWrite()
	if got, err := readToEnd(t, silent); len(got) != 0 || !isReset(err) {
		t.Fatalf("a silent half-close beside two silent connections: got %q, %v; want a reset", got, err)
	}
	// The others are served as ever.
	for _, x := range []*net.TCPConn{a, b, c} {
		writeTCP(t, x, []byte("x"))
		x.CloseWrite()
		if got, err := readToEnd(t, x); string(got) != "X" || err != nil {
			t.Fatalf("another connection: got %q, %v; want \"X\" then EOF", got, err)
		}
	}
}

func TestDieOnThirdReset(t *testing.T) {
	counted := make(chan struct{}, 64)
	dieOnThirdResetCounted = func() { counted <- struct{}{} }
	t.Cleanup(func() { dieOnThirdResetCounted = nil })
	m := DieOnThirdReset()
	tcpAddr, _ := start(t, m)
	// seen waits until the server has counted the connection's end, so
	// that it sees the connections in the order the test makes them.
	seen := func() {
		t.Helper()
		select {
		case <-counted:
		case <-time.After(wait):
			t.Fatal("the server did not count a connection's end")
		}
	}
	orderly := func() {
		t.Helper()
		c := dialTCP(t, tcpAddr)
		writeTCP(t, c, []byte("ok"))
		c.CloseWrite()
		if got, err := readToEnd(t, c); string(got) != "OK" || err != nil {
			t.Fatalf("orderly connection: got %q, %v", got, err)
		}
		seen()
	}
	resetOne := func() {
		t.Helper()
		c := dialTCP(t, tcpAddr)
		if got := roundTrip(t, c, []byte("r")); string(got) != "R" {
			t.Fatalf("got %q", got)
		}
		reset(c)
	}
	// Two resets in a row, then an orderly end, many times over: survived.
	for range 5 {
		resetOne()
		seen()
		resetOne()
		seen()
		orderly()
	}
	// Three in a row: the server exits.
	for range 3 {
		resetOne()
	}
	err := waitDone(t, m)
	if !strings.Contains(err.Error(), "3 connections in a row") {
		t.Fatalf("died of %v; want three errors in a row", err)
	}
}
