package clients_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/internal/slow"
)

func TestReceiverBurst(t *testing.T) {
	s := startServer(t)
	server := netip.MustParseAddrPort(s.UDPAddr)
	for _, c := range []*clients.UDPConn{dialUDP(t, s.UDPAddr), listenUDP(t, s.UDPAddr)} {
		const n = 100
		want := map[string]int{} // reply -> request
		for i := range n {
			want[string(upper(clients.Payload(i, 40)))] = i
		}
		r := NewReceiverForTest(t, c, 1000, 10*n)
		got := map[int]bool{}
		allSeen := func(ds []clients.Datagram) bool {
			for _, d := range ds {
				if i, ok := want[string(d.Data)]; ok && d.From == server {
					got[i] = true
				}
			}
			return len(got) == n
		}
		done := false
		for round := 0; round < 5 && !done; round++ {
			// Send what has no reply yet: the first round sends all, later
			// rounds resend what loopback lost.
			for i := range n {
				if !got[i] {
					if err := c.Send(clients.Payload(i, 40)); err != nil {
						t.Fatal(err)
					}
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			done = r.WaitUntil(ctx, allSeen)
			cancel()
		}
		if !done {
			t.Fatalf("connected %v: %d of %d replies", c.Connected(), len(got), n)
		}
		kept, dropped := r.Stop()
		if len(kept) < n || dropped != 0 {
			t.Fatalf("Stop kept %d and dropped %d, want at least %d and none", len(kept), dropped, n)
		}
		for _, d := range kept {
			if _, ok := want[string(d.Data)]; !ok || d.Truncated {
				t.Errorf("unexpected datagram %q (truncated %v)", d.Data, d.Truncated)
			}
		}
		// After Stop the socket is usable again.
		if _, _, err := c.RoundTrip(testContext(t), []byte("again"), 5, nil); err != nil {
			t.Fatalf("RoundTrip after Stop: %v", err)
		}
	}
}

// NewReceiverForTest starts a Receiver that is stopped when the test ends.
func NewReceiverForTest(t *testing.T, c *clients.UDPConn, bufSize, limit int) *clients.Receiver {
	r := clients.NewReceiver(c, bufSize, limit)
	t.Cleanup(func() { r.Stop() })
	return r
}

// peer is a bare UDP socket that sends to a client directly.
func peer(t *testing.T, to *clients.UDPConn) func(p []byte) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	dst := to.Conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return func(p []byte) {
		if _, err := pc.WriteToUDPAddrPort(p, dst); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReceiverTruncation(t *testing.T) {
	c := listenUDP(t, "127.0.0.1:9")
	send := peer(t, c)
	r := NewReceiverForTest(t, c, 4, 3)
	send([]byte("abcdefgh"))
	ctx := testContext(t)
	if !r.WaitUntil(ctx, func(ds []clients.Datagram) bool { return len(ds) == 1 }) {
		t.Fatal("first datagram never arrived")
	}
	kept, _ := r.Stop()
	if len(kept) != 1 || string(kept[0].Data) != "abcd" || !kept[0].Truncated {
		t.Fatalf("kept %+v, want \"abcd\" truncated", kept)
	}

}

func TestReceiverStopIsPromptAndWaitUntilBounded(t *testing.T) {
	c := listenUDP(t, "127.0.0.1:9")
	r := clients.NewReceiver(c, 100, 100)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if r.WaitUntil(ctx, func(ds []clients.Datagram) bool { return len(ds) > 0 }) {
		t.Fatal("WaitUntil true with nothing sent")
	}
	start := time.Now()
	kept, dropped := r.Stop()
	if e := time.Since(start); e > slow.Bound(time.Second) {
		t.Fatalf("Stop took %v", e)
	}
	if len(kept) != 0 || dropped != 0 {
		t.Fatalf("Stop = %d kept, %d dropped; want nothing", len(kept), dropped)
	}
	r.Stop() // a second Stop is harmless
	// A stopped Receiver's WaitUntil gives its final answer at once.
	if r.WaitUntil(t.Context(), func(ds []clients.Datagram) bool { return len(ds) > 0 }) {
		t.Fatal("WaitUntil true after Stop with nothing received")
	}
}

func TestReceiverEndsWhenSocketCloses(t *testing.T) {
	c, err := clients.ListenUDP("127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	r := clients.NewReceiver(c, 100, 100)
	c.Close()
	r.WaitUntil(testContext(t), func([]clients.Datagram) bool { return false }) // returns when reading ends
	r.Stop()
	if !errors.Is(r.Err(), net.ErrClosed) {
		t.Fatalf("Err = %v, want net.ErrClosed", r.Err())
	}
}
