package faultproxy_test

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/faultproxy"
	"github.com/upcheck/upcheck/servers/serverstest"
)

// udpTracer records the UDPEvents of a proxy.
type udpTracer struct {
	mu     sync.Mutex
	events []faultproxy.UDPEvent
}

func (tr *udpTracer) trace(e faultproxy.UDPEvent) {
	tr.mu.Lock()
	tr.events = append(tr.events, e)
	tr.mu.Unlock()
}

// kinds returns "dir kind payload" for each event, in order.
func (tr *udpTracer) lines() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, e := range tr.events {
		out = append(out, fmt.Sprintf("%v %v %q %v", e.Dir, e.Kind, e.Data, e.Delay))
	}
	return out
}

func (tr *udpTracer) count(kind faultproxy.UDPEventKind) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, e := range tr.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func startUDPProxy(t *testing.T, upstream string, cfg faultproxy.UDPConfig) *faultproxy.UDPProxy {
	t.Helper()
	p, err := faultproxy.NewUDP(upstream, cfg)
	if err != nil {
		t.Fatalf("NewUDP: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// udpSocket opens a client socket on loopback with a read deadline.
func udpSocket(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recvAll reads datagrams on c until none comes for quiet (bounded by
// ioTimeout), returning each payload and its source.
func recvAll(c *net.UDPConn, quiet time.Duration) (data []string, from []netip.AddrPort) {
	end := time.Now().Add(ioTimeout)
	buf := make([]byte, 65536)
	for time.Now().Before(end) {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, src, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return data, from
		}
		data = append(data, string(buf[:n]))
		from = append(from, netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
	return data, from
}

func addrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func TestUDPProxyRelaysEachClientFromItsOwnSocket(t *testing.T) {
	s := serverstest.NewUDPServer()
	defer s.Close()
	p := startUDPProxy(t, s.UDPAddr, faultproxy.UDPConfig{})
	front := addrPort(t, p.Addr())
	a, b := udpSocket(t), udpSocket(t)
	for i := range 5 {
		for _, c := range []*net.UDPConn{a, b} {
			msg := fmt.Sprintf("from %v #%d", c.LocalAddr(), i)
			if _, err := c.WriteToUDPAddrPort([]byte(msg), front); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []*net.UDPConn{a, b} {
		got, from := recvAll(c, 200*time.Millisecond)
		slices.Sort(got)
		var want []string
		for i := range 5 {
			want = append(want, string(upper([]byte(fmt.Sprintf("from %v #%d", c.LocalAddr(), i)))))
		}
		if !slices.Equal(got, want) {
			t.Errorf("client %v got %q, want %q", c.LocalAddr(), got, want)
		}
		for _, f := range from {
			if f != front {
				t.Errorf("client %v: a reply from %v, want the proxy's %v", c.LocalAddr(), f, front)
			}
		}
	}
	if st := p.Stats(); st.Flows != 2 || st.Up != 10 || st.Down != 10 {
		t.Errorf("stats %+v, want 2 flows, 10 datagrams each way", st)
	}
}

// faultyRun sends msgs one after the other through a proxy with cfg in
// front of a socket that the test reads, and returns what the upstream
// received and the proxy's events.
func faultyRun(t *testing.T, cfg faultproxy.UDPConfig, msgs []string) (received, events []string) {
	t.Helper()
	up := udpSocket(t)
	tr := &udpTracer{}
	cfg.Trace = tr.trace
	p := startUDPProxy(t, up.LocalAddr().String(), cfg)
	c := udpSocket(t)
	for _, m := range msgs {
		if _, err := c.WriteToUDPAddrPort([]byte(m), addrPort(t, p.Addr())); err != nil {
			t.Fatal(err)
		}
	}
	received, _ = recvAll(up, 100*time.Millisecond)
	p.Close()
	return received, tr.lines()
}

func TestUDPProxyFaultsAreDrawnFromTheSeed(t *testing.T) {
	var msgs []string
	for i := range 60 {
		msgs = append(msgs, fmt.Sprintf("datagram %d", i%40)) // some sent twice
	}
	f := faultproxy.UDPFaults{Drop: 0.2, Duplicate: 0.2, Reorder: 0.2}
	recv1, ev1 := faultyRun(t, faultproxy.UDPConfig{Seed: 7, Up: f}, msgs)
	recv2, ev2 := faultyRun(t, faultproxy.UDPConfig{Seed: 7, Up: f}, msgs)
	recv3, ev3 := faultyRun(t, faultproxy.UDPConfig{Seed: 8, Up: f}, msgs)
	if !slices.Equal(ev1, ev2) {
		t.Errorf("the same seed and traffic gave other faults:\n%q\n%q", ev1, ev2)
	}
	if slices.Equal(ev1, ev3) {
		t.Errorf("seeds 7 and 8 gave the same faults: %q", ev1)
	}
	for _, r := range []struct {
		recv, ev []string
	}{{recv1, ev1}, {recv2, ev2}, {recv3, ev3}} {
		// What the upstream got is what was sent, less the drops, plus
		// the duplicates: as the events say.
		want := map[string]int{}
		for _, m := range msgs {
			want[m]++
		}
		for _, e := range r.ev {
			var dir, kind, data string
			fmt.Sscanf(e, "%s %s %q", &dir, &kind, &data)
			switch kind {
			case "dropped":
				want[data]--
			case "duplicated":
				want[data]++
			}
		}
		got := map[string]int{}
		for _, m := range r.recv {
			got[m]++
		}
		for m, n := range want {
			if got[m] != n {
				t.Errorf("upstream got %q %d times, want %d (events %q)", m, got[m], n, r.ev)
			}
		}
	}
	if len(ev1) == 0 {
		t.Fatal("no fault injected")
	}
}

func TestUDPProxyReorders(t *testing.T) {
	// Held long enough that the next datagram always comes first.
	cfg := faultproxy.UDPConfig{Up: faultproxy.UDPFaults{Reorder: 1}, ReorderHold: ioTimeout}
	recv, ev := faultyRun(t, cfg, []string{"a", "b", "c", "d"})
	// a is held and overtaken by b, which is not held (a is); then c
	// is held and overtaken by d.
	if want := []string{"b", "a", "d", "c"}; !slices.Equal(recv, want) {
		t.Errorf("upstream got %q, want %q (events %q)", recv, want, ev)
	}
}

func TestUDPProxyDropsAndDuplicatesReplies(t *testing.T) {
	s := serverstest.NewUDPServer()
	defer s.Close()
	for _, tt := range []struct {
		name string
		f    faultproxy.UDPFaults
		want int
		kind faultproxy.UDPEventKind
	}{
		{"drop", faultproxy.UDPFaults{Drop: 1}, 0, faultproxy.Dropped},
		{"duplicate", faultproxy.UDPFaults{Duplicate: 1}, 2, faultproxy.Duplicated},
		{"delay", faultproxy.UDPFaults{Delay: 5 * time.Millisecond}, 1, faultproxy.Delayed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := &udpTracer{}
			p := startUDPProxy(t, s.UDPAddr, faultproxy.UDPConfig{Seed: 1, Down: tt.f, Trace: tr.trace})
			c := udpSocket(t)
			if _, err := c.WriteToUDPAddrPort([]byte("hello"), addrPort(t, p.Addr())); err != nil {
				t.Fatal(err)
			}
			got, _ := recvAll(c, 200*time.Millisecond)
			if len(got) != tt.want {
				t.Errorf("got %q, want %d copies of the reply", got, tt.want)
			}
			if n := tr.count(tt.kind); n != 1 {
				t.Errorf("%d %v events, want 1: %q", n, tt.kind, tr.lines())
			}
		})
	}
}

func TestUDPProxyPassesRepliesFromElsewhereFromItsSideAddress(t *testing.T) {
	// The upstream answers from another socket, as a server that replies
	// from a new socket does.
	up, other := udpSocket(t), udpSocket(t)
	tr := &udpTracer{}
	p := startUDPProxy(t, up.LocalAddr().String(), faultproxy.UDPConfig{Trace: tr.trace})
	c := udpSocket(t)
	if _, err := c.WriteToUDPAddrPort([]byte("hi"), addrPort(t, p.Addr())); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	up.SetReadDeadline(time.Now().Add(ioTimeout))
	_, relay, err := up.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	other.WriteToUDPAddrPort([]byte("HI"), relay)
	up.WriteToUDPAddrPort([]byte("HI"), relay)
	got, from := recvAll(c, 200*time.Millisecond)
	if len(got) != 2 {
		t.Fatalf("got %q, want both replies", got)
	}
	side, front := addrPort(t, p.SideAddr()), addrPort(t, p.Addr())
	if !slices.Contains(from, side) || !slices.Contains(from, front) {
		t.Errorf("replies from %v, want one from the side address %v and one from %v", from, side, front)
	}
	if n := tr.count(faultproxy.FromElsewhere); n != 1 {
		t.Errorf("%d from-elsewhere events, want 1", n)
	}
}

func TestUDPProxyCloseDiscardsWhatItHolds(t *testing.T) {
	up := udpSocket(t)
	tr := &udpTracer{}
	p, err := faultproxy.NewUDP(up.LocalAddr().String(), faultproxy.UDPConfig{Up: faultproxy.UDPFaults{Delay: time.Hour}, Trace: tr.trace})
	if err != nil {
		t.Fatal(err)
	}
	c := udpSocket(t)
	c.WriteToUDPAddrPort([]byte("held"), addrPort(t, p.Addr()))
	waitFor(t, "the datagram to be held", func() bool { return tr.count(faultproxy.Delayed) == 1 })
	done := make(chan struct{})
	go func() {
		p.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Close waited for a held datagram")
	}
	if n := tr.count(faultproxy.Discarded); n != 1 {
		t.Errorf("%d discarded events, want 1: %q", n, tr.lines())
	}
	p.Close() // again: a no-op
}

func TestUDPConfigValidation(t *testing.T) {
	for _, cfg := range []faultproxy.UDPConfig{
		{Up: faultproxy.UDPFaults{Drop: -0.1}},
		{Down: faultproxy.UDPFaults{Duplicate: 1.5}},
		{Up: faultproxy.UDPFaults{Delay: -time.Second}},
		{ReorderHold: -time.Second},
	} {
		if p, err := faultproxy.NewUDP("127.0.0.1:9", cfg); err == nil {
			p.Close()
			t.Errorf("NewUDP accepted %+v", cfg)
		}
	}
}

// TestUDPProxyListensOnItsUpstreamsLoopbackAddress shows that the proxy of a
// server on 127.0.0.2 listens, and relays, on 127.0.0.2 too, where nothing
// sent to 127.0.0.1 reaches it.
func TestUDPProxyListensOnItsUpstreamsLoopbackAddress(t *testing.T) {
	up, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Skipf("no 127.0.0.2 on this system: %v", err)
	}
	defer up.Close()
	p, err := faultproxy.NewUDP(up.LocalAddr().String(), faultproxy.UDPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("udp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.HasPrefix(p.Addr(), "127.0.0.2:") {
		t.Fatalf("proxy on %s, want 127.0.0.2", p.Addr())
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if err := up.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, from, err := up.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "x" || from.Addr().Unmap() != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("upstream got %q from %v, want \"x\" from 127.0.0.2", buf[:n], from)
	}
}
