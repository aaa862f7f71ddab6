package clients_test

import (
	"context"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/internal/backlogtest"
)

// TestDialTCPFullBacklog: a connect whose SYN a full accept queue dropped
// completes as soon as the server accepts, well before the kernel's first
// SYN retransmit a second later.
func TestDialTCPFullBacklog(t *testing.T) {
	before := backlogtest.Overflows()
	if before < 0 {
		t.Skip("no /proc/net/netstat: cannot see dropped SYNs")
	}
	l := backlogtest.Listen(t, 0)
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
	for backlogtest.Overflows() == before {
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
