package faultproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// UDPFaults are the faults injected into one direction of a UDP relay. The
// fate of each datagram is drawn on its own; the zero value injects none.
type UDPFaults struct {
	// Drop is the probability that a datagram is not passed on.
	Drop float64
	// Duplicate is the probability that a datagram is passed on twice,
	// the copy right after it.
	Duplicate float64
	// Reorder is the probability that a datagram is held back until the
	// next datagram of the same client socket and direction has been
	// passed on, or for UDPConfig.ReorderHold if none comes.
	Reorder float64
	// Delay, if positive, holds each datagram back for a time drawn
	// uniformly from [0, Delay]; datagrams may overtake each other so.
	Delay time.Duration
}

// DefaultReorderHold is the longest a datagram drawn for reordering waits
// for the next one to overtake it, unless UDPConfig.ReorderHold says.
const DefaultReorderHold = 10 * time.Millisecond

func (f UDPFaults) validate(dir string) error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"Drop", f.Drop}, {"Duplicate", f.Duplicate}, {"Reorder", f.Reorder}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("faultproxy: %s.%s %v is not a probability", dir, p.name, p.v)
		}
	}
	if f.Delay < 0 {
		return fmt.Errorf("faultproxy: %s.Delay %v is negative", dir, f.Delay)
	}
	return nil
}

// UDPConfig says which faults a UDPProxy injects.
type UDPConfig struct {
	// Seed seeds every random choice. The fate of a datagram is drawn from
	// the Seed, its direction, its payload and how many datagrams with the
	// same payload went that way before it: two proxies with the same Seed
	// and Faults do the same to the same traffic, whatever the ports and
	// the timing between client sockets.
	Seed int64
	// Up holds the faults of the client-to-server direction, Down those of
	// the server-to-client direction.
	Up, Down UDPFaults
	// ReorderHold is the longest a datagram drawn for reordering waits
	// for the next one; 0 means DefaultReorderHold.
	ReorderHold time.Duration
	// Trace, if not nil, is called for every UDPEvent, with the proxy's
	// lock held: it must return quickly and not call the proxy.
	Trace func(UDPEvent)
}

func (c UDPConfig) validate() error {
	if c.ReorderHold < 0 {
		return fmt.Errorf("faultproxy: ReorderHold %v is negative", c.ReorderHold)
	}
	if err := c.Up.validate("Up"); err != nil {
		return err
	}
	return c.Down.validate("Down")
}

// UDPEventKind says what a UDPEvent reports.
type UDPEventKind int

const (
	// Dropped: the datagram was not passed on.
	Dropped UDPEventKind = iota
	// Duplicated: the datagram was passed on twice.
	Duplicated
	// Reordered: the datagram was held back for the next one to overtake.
	Reordered
	// Delayed: the datagram was held back for UDPEvent.Delay.
	Delayed
	// FromElsewhere: a datagram came to a client socket's relay from an
	// address other than the upstream server's; it was passed on to the
	// client from the proxy's other address (UDPProxy.SideAddr), so that
	// the client sees a reply from another port, as it would without the
	// proxy.
	FromElsewhere
	// Discarded: the datagram was still held back when the proxy closed,
	// and was never passed on.
	Discarded
)

// String returns the kind's name.
func (k UDPEventKind) String() string {
	switch k {
	case Dropped:
		return "dropped"
	case Duplicated:
		return "duplicated"
	case Reordered:
		return "reordered"
	case Delayed:
		return "delayed"
	case FromElsewhere:
		return "from-elsewhere"
	case Discarded:
		return "discarded"
	}
	return fmt.Sprintf("UDPEventKind(%d)", int(k))
}

// UDPEvent is something the proxy did to one datagram.
type UDPEvent struct {
	// Client is the client socket's address; Flow its index, counted
	// from 0 in the order client sockets first sent.
	Client netip.AddrPort
	Flow   int
	Dir    Direction
	Kind   UDPEventKind
	// Data is the datagram's payload.
	Data []byte
	// Delay is how long a Delayed datagram was held back.
	Delay time.Duration
}

// UDPStats counts what a UDPProxy has done since it started.
type UDPStats struct {
	// Flows is the number of client sockets seen.
	Flows int64
	// Up and Down count the datagrams received from clients and from the
	// server side.
	Up, Down int64
	// Dropped, Duplicated, Reordered, Delayed, FromElsewhere and
	// Discarded count the UDPEvents of each kind.
	Dropped, Duplicated, Reordered, Delayed, FromElsewhere, Discarded int64
}

// UDPProxy relays UDP datagrams between client sockets and an upstream
// server, injecting the faults of its UDPConfig. Each client socket gets a
// relay socket of its own toward the server, so the server sees a
// distinct source per client socket, as it would without the proxy; what
// the server sends to a relay socket goes back to that client.
type UDPProxy struct {
	upstream    netip.AddrPort
	front, side *net.UDPConn
	cfg         UDPConfig
	wg          sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	flows   map[netip.AddrPort]*udpFlow
	seen    map[udpKey]uint64 // datagrams that went each way, by payload
	pending map[*udpPending]struct{}

	stats [Discarded + 1]atomic.Int64
	count struct{ flows, up, down atomic.Int64 }
}

// udpFlow is one client socket and its relay socket toward the server.
type udpFlow struct {
	idx    int
	client netip.AddrPort
	relay  *net.UDPConn
	held   [2]*udpPending // a datagram held for reordering, per direction
}

// udpPending is a datagram held back by a timer.
type udpPending struct {
	flow   *udpFlow
	dir    Direction
	data   []byte
	side   bool // pass it on from the side address
	copies int
	timer  *time.Timer
}

type udpKey struct {
	dir  Direction
	hash uint64
}

// udpWriteTimeout bounds a send; a UDP send on loopback rarely blocks.
const udpWriteTimeout = time.Second

// NewUDP starts a UDPProxy listening with an ephemeral port on upstream's
// address when that is on IPv4 loopback (127.0.0.2 for 127.0.0.2:9000),
// else on 127.0.0.1 (on ::1 when upstream is an IPv6 address), relaying to
// upstream (host:port) with the faults of cfg. Its relay sockets are on
// the same address: a proxy for a server on a loopback address of its own
// receives nothing that other programs send to 127.0.0.1.
func NewUDP(upstream string, cfg UDPConfig) (*UDPProxy, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", upstream)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: upstream %q: %v", upstream, err)
	}
	up := ua.AddrPort()
	up = netip.AddrPortFrom(up.Addr().Unmap(), up.Port())
	network, local := "udp4", netip.AddrFrom4([4]byte{127, 0, 0, 1})
	switch {
	case up.Addr().Is6():
		network, local = "udp6", netip.IPv6Loopback()
	case up.Addr().IsLoopback():
		local = up.Addr()
	}
	p := &UDPProxy{upstream: up, cfg: cfg, flows: map[netip.AddrPort]*udpFlow{}, seen: map[udpKey]uint64{}, pending: map[*udpPending]struct{}{}}
	listen := func() (*net.UDPConn, error) {
		return net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	}
	if p.front, err = listen(); err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %v", err)
	}
	if p.side, err = listen(); err != nil {
		p.front.Close()
		return nil, fmt.Errorf("faultproxy: listen: %v", err)
	}
	p.wg.Go(p.serveFront)
	return p, nil
}

// Addr returns the address clients send to, as 127.0.0.1:port (or
// [::1]:port, or upstream's loopback address and a port).
func (p *UDPProxy) Addr() string { return p.front.LocalAddr().String() }

// SideAddr returns the address the proxy passes on datagrams from, when
// they came to a relay socket from an address other than the upstream's.
func (p *UDPProxy) SideAddr() string { return p.side.LocalAddr().String() }

// Upstream returns the address the proxy relays to.
func (p *UDPProxy) Upstream() string { return p.upstream.String() }

// Stats returns the proxy's counters.
func (p *UDPProxy) Stats() UDPStats {
	s := &p.stats
	return UDPStats{
		Flows: p.count.flows.Load(), Up: p.count.up.Load(), Down: p.count.down.Load(),
		Dropped: s[Dropped].Load(), Duplicated: s[Duplicated].Load(), Reordered: s[Reordered].Load(),
		Delayed: s[Delayed].Load(), FromElsewhere: s[FromElsewhere].Load(), Discarded: s[Discarded].Load(),
	}
}

// Close stops the proxy: it closes every socket, discards the datagrams
// still held back (each a Discarded event), and waits until every
// goroutine it started has ended. It may be called more than once.
func (p *UDPProxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	for pd := range p.pending {
		if pd.timer.Stop() {
			p.discardLocked(pd)
			p.wg.Done()
		}
		// Else its timer has fired: fire discards it.
	}
	err := p.front.Close()
	p.side.Close()
	for _, f := range p.flows {
		f.relay.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// serveFront reads the clients' datagrams until Close.
func (p *UDPProxy) serveFront() {
	readDatagrams(p.front, func(from netip.AddrPort, data []byte) {
		p.count.up.Add(1)
		p.mu.Lock()
		if f := p.flowLocked(from); f != nil {
			p.passLocked(f, Up, data, false)
		}
		p.mu.Unlock()
	})
}

// readDatagrams hands each datagram c receives, with its source, to handle
// until c is closed. Other read errors (an ICMP error from an earlier send
// and the like) are skipped.
func readDatagrams(c *net.UDPConn, handle func(from netip.AddrPort, data []byte)) {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		handle(netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), append([]byte(nil), buf[:n]...))
	}
}

// flowLocked returns the flow of client, opening its relay socket and
// starting its reader on its first datagram; nil once closed or when no
// socket can be opened.
func (p *UDPProxy) flowLocked(client netip.AddrPort) *udpFlow {
	if p.closed {
		return nil
	}
	if f, ok := p.flows[client]; ok {
		return f
	}
	local := p.front.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	network := "udp4"
	if local.Is6() {
		network = "udp6"
	}
	relay, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil
	}
	f := &udpFlow{idx: len(p.flows), client: client, relay: relay}
	p.flows[client] = f
	p.count.flows.Add(1)
	p.wg.Go(func() { p.serveRelay(f) })
	return f
}

// serveRelay reads what the server side sends to f's relay socket until
// Close.
func (p *UDPProxy) serveRelay(f *udpFlow) {
	readDatagrams(f.relay, func(from netip.AddrPort, data []byte) {
		p.count.down.Add(1)
		p.mu.Lock()
		side := from != p.upstream
		if side {
			p.traceLocked(UDPEvent{Client: f.client, Flow: f.idx, Dir: Down, Kind: FromElsewhere, Data: data})
		}
		if !p.closed {
			p.passLocked(f, Down, data, side)
		}
		p.mu.Unlock()
	})
}

// fate is what the proxy does to one datagram.
type fate struct {
	drop, dup, reorder bool
	delay              time.Duration
}

// drawLocked draws the fate of a datagram of payload data going dir.
func (p *UDPProxy) drawLocked(dir Direction, data []byte) fate {
	h := fnv.New64a()
	h.Write(data)
	k := udpKey{dir, h.Sum64()}
	n := p.seen[k]
	p.seen[k]++
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(p.cfg.Seed))
	s1 := fnvOf(seed[:], byte(dir))
	rng := rand.New(rand.NewPCG(s1, k.hash^(n*0x9e3779b97f4a7c15)))
	f := p.cfg.Up
	if dir == Down {
		f = p.cfg.Down
	}
	// Every value is drawn, in a fixed order, whatever the faults.
	var out fate
	out.drop = rng.Float64() < f.Drop
	out.dup = rng.Float64() < f.Duplicate
	out.reorder = rng.Float64() < f.Reorder
	d := rng.Int64N(int64(f.Delay) + 1)
	if f.Delay > 0 {
		out.delay = time.Duration(d)
	}
	return out
}

func fnvOf(b []byte, extra byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	h.Write([]byte{extra})
	return h.Sum64()
}

// passLocked passes data on in direction dir of flow f (from the side
// address, for side), as its drawn fate says.
func (p *UDPProxy) passLocked(f *udpFlow, dir Direction, data []byte, side bool) {
	ft := p.drawLocked(dir, data)
	ev := UDPEvent{Client: f.client, Flow: f.idx, Dir: dir, Data: data}
	if ft.drop {
		ev.Kind = Dropped
		p.traceLocked(ev)
		return
	}
	pd := &udpPending{flow: f, dir: dir, data: data, side: side, copies: 1}
	if ft.dup {
		pd.copies = 2
		ev.Kind = Duplicated
		p.traceLocked(ev)
	}
	switch {
	case ft.reorder && f.held[dir] == nil:
		ev.Kind = Reordered
		p.traceLocked(ev)
		f.held[dir] = pd
		hold := p.cfg.ReorderHold
		if hold == 0 {
			hold = DefaultReorderHold
		}
		p.holdLocked(pd, hold)
	case ft.delay > 0:
		ev.Kind, ev.Delay = Delayed, ft.delay
		p.traceLocked(ev)
		p.holdLocked(pd, ft.delay)
	default:
		p.emitLocked(pd)
	}
}

// holdLocked passes pd on after d, unless something releases it first.
func (p *UDPProxy) holdLocked(pd *udpPending, d time.Duration) {
	p.pending[pd] = struct{}{}
	p.wg.Add(1)
	pd.timer = time.AfterFunc(d, func() { p.fire(pd) })
}

// fire passes on pd, held back until now.
func (p *UDPProxy) fire(pd *udpPending) {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[pd]; !ok {
		return // released already
	}
	delete(p.pending, pd)
	if pd.flow.held[pd.dir] == pd {
		pd.flow.held[pd.dir] = nil
	}
	if p.closed {
		p.discardLocked(pd)
		return
	}
	p.emitLocked(pd)
}

// discardLocked records that pd, held back, is never passed on.
func (p *UDPProxy) discardLocked(pd *udpPending) {
	delete(p.pending, pd)
	p.traceLocked(UDPEvent{Client: pd.flow.client, Flow: pd.flow.idx, Dir: pd.dir, Kind: Discarded, Data: pd.data})
}

// emitLocked sends pd's copies, then the datagram of its flow and
// direction held back for reordering, if another one is.
func (p *UDPProxy) emitLocked(pd *udpPending) {
	p.sendLocked(pd)
	f := pd.flow
	if h := f.held[pd.dir]; h != nil && h != pd {
		f.held[pd.dir] = nil
		if h.timer.Stop() {
			delete(p.pending, h)
			p.wg.Done()
			p.sendLocked(h)
		}
		// Else its timer fired, and fire passes it on.
	}
}

func (p *UDPProxy) sendLocked(pd *udpPending) {
	for range pd.copies {
		var err error
		switch {
		case pd.dir == Up:
			pd.flow.relay.SetWriteDeadline(time.Now().Add(udpWriteTimeout))
			_, err = pd.flow.relay.WriteToUDPAddrPort(pd.data, p.upstream)
		case pd.side:
			p.side.SetWriteDeadline(time.Now().Add(udpWriteTimeout))
			_, err = p.side.WriteToUDPAddrPort(pd.data, pd.flow.client)
		default:
			p.front.SetWriteDeadline(time.Now().Add(udpWriteTimeout))
			_, err = p.front.WriteToUDPAddrPort(pd.data, pd.flow.client)
		}
		if err != nil {
			// A datagram the kernel would not send is lost, as on any
			// network; it is not one the proxy chose to drop.
			return
		}
	}
}

func (p *UDPProxy) traceLocked(ev UDPEvent) {
	p.stats[ev.Kind].Add(1)
	if p.cfg.Trace != nil {
		p.cfg.Trace(ev)
	}
}
