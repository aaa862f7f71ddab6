package servers

import (
	"net"
	"testing"
	"time"
)

// TestHandOnCheck checks the test a UDP worker applies before replying: it
// hands the read turn on when another datagram waits on the socket, and
// keeps it when none does.
func TestHandOnCheck(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	handOn := handOnCheck(pc)
	if handOn(64) {
		t.Fatal("hands the turn on with nothing queued and nothing unsent")
	}
	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("queued")); err != nil {
		t.Fatal(err)
	}
	// Loopback delivers at once, but wait for the positive signal rather
	// than assume it: the check says yes once the datagram is queued.
	deadline := time.Now().Add(testTimeout)
	for !handOn(64) {
		if time.Now().After(deadline) {
			t.Fatal("does not hand the turn on with a datagram queued")
		}
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 64)
	pc.SetReadDeadline(time.Now().Add(testTimeout))
	if _, _, err := pc.ReadFromUDP(buf); err != nil {
		t.Fatal(err)
	}
	if handOn(64) {
		t.Fatal("hands the turn on once the queue is empty again")
	}
	// A reply as large as the send buffer may block: hand on first.
	if !handOn(1 << 30) {
		t.Fatal("keeps the turn for a reply larger than the send buffer")
	}
}

// TestHandOnCheckWithoutSyscallConn checks that a socket whose queues
// cannot be seen always hands the turn on, as every worker did before
// the check existed.
func TestHandOnCheckWithoutSyscallConn(t *testing.T) {
	pc := newFaultyPacketConn(t)
	if !handOnCheck(pc)(1) {
		t.Fatal("keeps the turn on a socket it cannot see into")
	}
}
