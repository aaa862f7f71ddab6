//go:build linux && !386

package servers

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// queuedBytes is SIOCINQ on pc: the size of the next queued datagram.
func queuedBytes(t *testing.T, pc *net.UDPConn) int {
	t.Helper()
	rc, err := pc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int32
	var errno syscall.Errno
	rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v)))
	})
	if errno != 0 {
		t.Fatal(errno)
	}
	return int(v)
}

// TestRawDatagramConn checks the Linux reading and answering of a UDP
// worker: a datagram already queued reads as queued, one that had to be
// waited for does not, and the reply goes to the datagram's source.
func TestRawDatagramConn(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.SetDeadline(time.Now().Add(testTimeout))
	dc := newDatagramConn(pc)
	if _, ok := dc.(*rawDatagramConn); !ok {
		t.Fatalf("newDatagramConn(*net.UDPConn) is a %T, want *rawDatagramConn", dc)
	}
	client := listenUDP(t)
	client.SetDeadline(time.Now().Add(testTimeout))
	server := pc.LocalAddr()
	buf := make([]byte, 64)

	// Queued: sent, and seen in the socket's queue, before the read.
	if _, err := client.WriteTo([]byte("queued"), server); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(testTimeout); queuedBytes(t, pc) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the datagram never reached the socket's queue")
		}
	}
	n, queued, err := dc.read(buf)
	if err != nil || !queued || string(buf[:n]) != "queued" {
		t.Fatalf("read = %q, queued %v, %v; want \"queued\", queued", buf[:n], queued, err)
	}
	if got, want := dc.peer(), client.LocalAddr().String(); got != want {
		t.Fatalf("peer %q, want %q", got, want)
	}
	if err := dc.reply([]byte("REPLY"), func() { t.Error("reply called blocked on an empty send buffer") }); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 64)
	n, from, err := client.ReadFrom(reply)
	if err != nil || string(reply[:n]) != "REPLY" || from.String() != server.String() {
		t.Fatalf("client read %q from %v, %v; want \"REPLY\" from %v", reply[:n], from, err, server)
	}

	// Waited for: the read starts first, the datagram (empty: UDP-EMPTY)
	// comes later. Whether the read has begun waiting cannot be seen, so
	// give it a moment and try again until one read says so: a read that
	// began late rightly says queued.
	type result struct {
		n      int
		queued bool
		err    error
	}
	waited := false
	for try := 0; try < 50 && !waited; try++ {
		got := make(chan result, 1)
		go func() {
			n, queued, err := dc.read(buf)
			got <- result{n, queued, err}
		}()
		time.Sleep(20 * time.Millisecond)
		if _, err := client.WriteTo(nil, server); err != nil {
			t.Fatal(err)
		}
		r := <-got // bounded by pc's deadline
		if r.err != nil || r.n != 0 {
			t.Fatalf("read of an empty datagram = %d bytes, %v", r.n, r.err)
		}
		waited = !r.queued
		if err := dc.reply(nil, nil); err != nil {
			t.Fatal(err)
		}
		if n, _, err := client.ReadFrom(reply); err != nil || n != 0 {
			t.Fatalf("client read %d bytes, %v; want the empty reply", n, err)
		}
	}
	if !waited {
		t.Fatal("every read that began before its datagram was sent says queued")
	}
}

// TestRawDatagramConnClosed checks that reading a closed socket fails with
// net.ErrClosed, which ends a worker.
func TestRawDatagramConnClosed(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	dc := newDatagramConn(pc)
	pc.Close()
	if _, _, err := dc.read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed socket: %v, want net.ErrClosed", err)
	}
	if err := dc.reply([]byte("x"), nil); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("reply on a closed socket: %v, want net.ErrClosed", err)
	}
}

// TestDatagramConnWithoutSyscallConn checks that a socket the raw calls
// cannot reach is read through net.PacketConn, and always says queued, so
// that the turn is always handed on.
func TestDatagramConnWithoutSyscallConn(t *testing.T) {
	pc := newFaultyPacketConn(t)
	dc := newDatagramConn(pc)
	if _, ok := dc.(*netDatagramConn); !ok {
		t.Fatalf("newDatagramConn(%T) is a %T, want *netDatagramConn", pc, dc)
	}
	pc.SetDeadline(time.Now().Add(testTimeout))
	client := listenUDP(t)
	if _, err := client.WriteTo([]byte("hello"), pc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, queued, err := dc.read(buf)
	if err != nil || string(buf[:n]) != "hello" || !queued {
		t.Fatalf("read = %q, queued %v, %v; want \"hello\", queued", buf[:n], queued, err)
	}
	if got, want := dc.peer(), client.LocalAddr().String(); got != want {
		t.Fatalf("peer %q, want %q", got, want)
	}
}
