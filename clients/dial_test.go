package clients_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// listenBacklog0 listens on a loopback port with a listen backlog of 0: an
// accept queue of one connection, as full as a small backlog gets under a
// burst of connects.
func listenBacklog0(t *testing.T) *net.TCPListener {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

// listenOverflows reads the kernel's count of SYNs dropped on a full accept
// queue (TcpExt ListenOverflows), or -1 where there is none to read.
func listenOverflows() int64 {
	f, err := os.Open("/proc/net/netstat")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var names []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "TcpExt:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "ListenOverflows" && i < len(fields) {
				v, _ := strconv.ParseInt(fields[i], 10, 64)
				return v
			}
		}
	}
	return -1
}

// TestDialTCPFullBacklog: a connect whose SYN a full accept queue dropped
// completes as soon as the server accepts, well before the kernel's first
// SYN retransmit a second later.
func TestDialTCPFullBacklog(t *testing.T) {
	before := listenOverflows()
	if before < 0 {
		t.Skip("no /proc/net/netstat: cannot see dropped SYNs")
	}
	l := listenBacklog0(t)
	addr := l.Addr().String()
	// Fill the queue: a connect completes in the kernel, unaccepted.
	{
		c, err := clients.DialTCP(testContext(t), addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	type result struct {
		c   *clients.TCPConn
		err error
	}
	done := make(chan result, 1)
	// Less than the kernel's retransmit: only a new attempt can make it.
	ctx, cancel := context.WithTimeout(t.Context(), 900*time.Millisecond)
	defer cancel()
	go func() {
		c, err := clients.DialTCP(ctx, addr)
		done <- result{c, err}
	}()
	// The positive signal that a SYN was dropped, then room in the queue.
	for listenOverflows() == before {
		select {
		case r := <-done:
			t.Fatalf("connect ended before any SYN was dropped: %v", r.err)
		case <-ctx.Done():
			t.Skip("no SYN dropped on a full accept queue here")
		case <-time.After(time.Millisecond):
		}
	}
	// Accept the queued connection, making room, and then the new one if
	// it comes in time.
	l.SetDeadline(time.Now().Add(testTimeout))
	for i := range 2 {
		c, err := l.AcceptTCP()
		if err != nil {
			t.Fatalf("accept %d: %v", i, err)
		}
		defer c.Close()
		dl, _ := ctx.Deadline()
		l.SetDeadline(dl.Add(100 * time.Millisecond))
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("DialTCP after the server accepted: %v; want a connection before the kernel's SYN retransmit", r.err)
	}
	r.c.Close()
}
