package clients

import (
	"context"
	"net"
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
