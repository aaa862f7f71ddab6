package clients

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// waitCounts waits, on arrivals rather than sleeps, until r has kept and
// dropped the given numbers of datagrams.
func waitCounts(ctx context.Context, r *Receiver, kept, dropped int) bool {
	for {
		r.mu.Lock()
		k, d, arrived := len(r.kept), r.dropped, r.arrived
		r.mu.Unlock()
		if k == kept && d == dropped {
			return true
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return false
		}
	}
}

func TestReceiverLimit(t *testing.T) {
	c, err := ListenUDP("127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r := NewReceiver(c, 100, 3)
	defer r.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i := range 5 {
		if _, err := pc.WriteToUDPAddrPort([]byte{byte('0' + i)}, c.Conn.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
			t.Fatal(err)
		}
		// One at a time, so that none is lost to a full buffer.
		if !waitCounts(ctx, r, min(i+1, 3), max(i-2, 0)) {
			t.Fatalf("datagram %d never counted", i)
		}
	}
	kept, dropped := r.Stop()
	if len(kept) != 3 || dropped != 2 || string(kept[0].Data)+string(kept[1].Data)+string(kept[2].Data) != "012" {
		t.Fatalf("Stop = %v, %d; want the first 3 kept and 2 dropped", kept, dropped)
	}
}

// TestReceiverQuietWaitsAfterLastArrival: Quiet waits at least d from the
// call, and a datagram that arrives while it waits makes it wait d again
// from that arrival, as the receiver recorded it. A Quiet that ignored
// arrivals would return d after the call, before that. The datagram is
// sent a moment after the call; under load it may come too late to
// arrive during the wait, and the test tries again with a longer d.
func TestReceiverQuietWaitsAfterLastArrival(t *testing.T) {
	c, err := ListenUDP("127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to := c.Conn.LocalAddr().(*net.UDPAddr).AddrPort()
	r := NewReceiver(c, 100, 100)
	defer r.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for n, d := 1, 100*time.Millisecond; ; n, d = n+1, 2*d {
		var wg sync.WaitGroup
		wg.Go(func() {
			time.Sleep(d / 4) // spacing, not synchronisation: see the checks below
			if _, err := pc.WriteToUDPAddrPort([]byte("x"), to); err != nil {
				t.Error(err)
			}
		})
		call := time.Now()
		r.Quiet(ctx, d)
		returned := time.Now()
		wg.Wait()
		if !waitCounts(ctx, r, n, 0) {
			t.Fatalf("datagram %d never arrived", n)
		}
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		if returned.Sub(call) < d {
			t.Fatalf("Quiet returned after %v, want at least %v", returned.Sub(call), d)
		}
		if !last.After(call) || !last.Before(call.Add(d)) {
			// It arrived outside the wait it had to extend.
			if d >= 3*time.Second {
				t.Fatalf("no datagram arrived during a Quiet of up to %v: it arrived %v after the call", d, last.Sub(call))
			}
			continue
		}
		if wait := returned.Sub(last); wait < d {
			t.Fatalf("Quiet returned %v after an arrival %v into its wait, want at least %v", wait, last.Sub(call), d)
		}
		return
	}
}
