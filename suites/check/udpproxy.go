package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/faultproxy"
)

// UDPNetFaults are the faults of a network between the UDP clients and the
// server, injected by a fault-injecting UDP proxy (faultproxy.UDPProxy)
// that a check starts in front of Env.UDP. The zero value relays every
// datagram as it comes.
//
// The judge knows what the network did: a datagram the network dropped
// explains a request left unanswered, a copy the network made of a reply
// is not the server's duplicate, and a request the network duplicated may
// be answered once per copy. A reply from another address than the
// server's reaches a client from another port of the proxy, so UDP-SOURCE
// is judged as without it.
type UDPNetFaults struct {
	// Seed seeds the fate of each datagram.
	Seed int64 `json:"seed,omitempty"`
	// Up is the client-to-server direction, Down the server-to-client one.
	Up   DatagramFaults `json:"up,omitzero"`
	Down DatagramFaults `json:"down,omitzero"`
}

// DatagramFaults are the faults of one direction: percentages of the
// datagrams dropped, duplicated, and held back for the next to overtake,
// and the longest random delay (see faultproxy.UDPFaults).
type DatagramFaults struct {
	Drop      int           `json:"drop_pct,omitempty"`
	Duplicate int           `json:"duplicate_pct,omitempty"`
	Reorder   int           `json:"reorder_pct,omitempty"`
	Delay     time.Duration `json:"delay,omitempty"`
}

func (f DatagramFaults) proxy() faultproxy.UDPFaults {
	return faultproxy.UDPFaults{Drop: float64(f.Drop) / 100, Duplicate: float64(f.Duplicate) / 100, Reorder: float64(f.Reorder) / 100, Delay: f.Delay}
}

// String says what the direction's faults do: "10% dropped, delays up to
// 2ms"; "as is" for none.
func (f DatagramFaults) String() string {
	var parts []string
	for _, p := range []struct {
		pct  int
		what string
	}{{f.Drop, "dropped"}, {f.Duplicate, "duplicated"}, {f.Reorder, "reordered"}} {
		if p.pct > 0 {
			parts = append(parts, fmt.Sprintf("%d%% %s", p.pct, p.what))
		}
	}
	if f.Delay > 0 {
		parts = append(parts, fmt.Sprintf("delays up to %v", f.Delay))
	}
	if len(parts) == 0 {
		return "as is"
	}
	return strings.Join(parts, ", ")
}

// String describes both directions and the seed: "up: 10% dropped; down:
// as is (seed 3)".
func (f UDPNetFaults) String() string {
	return fmt.Sprintf("up: %s; down: %s (seed %d)", f.Up, f.Down, f.Seed)
}

// RunUDPThroughProxy runs s as RunUDP does, but with its sockets sending
// through a fault-injecting UDP proxy in front of e.UDP that mangles the
// network as f says, and judges them by the same rules, knowing what the
// network did (see UDPNetFaults). The probes (where replies come from, and
// whether a fresh socket is still answered) go straight to the server.
//
// The fuzzers call it with faults they draw; an error that holds no
// Violation means the proxy could not be started (a bad f).
func RunUDPThroughProxy(ctx context.Context, e Env, s UDPScript, f UDPNetFaults) error {
	if e.UDP == "" {
		return errors.New("check: no UDP address to check")
	}
	n := &udpNet{records: map[netip.AddrPort]*udpNetRecord{}, losses: map[netip.AddrPort]*udpLoss{}}
	p, err := faultproxy.NewUDP(e.UDP, faultproxy.UDPConfig{Seed: f.Seed, Up: f.Up.proxy(), Down: f.Down.proxy(), Trace: n.trace})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer p.Close()
	n.p = p
	e.logf("udp proxy %s -> %s: %s", p.Addr(), e.UDP, f)
	return runUDP(ctx, e, s, n)
}

// udpNet is a fault-injecting proxy between a script's sockets and the
// server, and the record of what it did to each socket's datagrams.
type udpNet struct {
	p *faultproxy.UDPProxy

	mu      sync.Mutex
	records map[netip.AddrPort]*udpNetRecord // by client socket
	losses  map[netip.AddrPort]*udpLoss      // by client socket
}

func (n *udpNet) trace(ev faultproxy.UDPEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.records[ev.Client]
	if r == nil {
		r = &udpNetRecord{}
		n.records[ev.Client] = r
	}
	r.note(ev.Dir, ev.Kind, ev.Data)
	if ev.Kind == faultproxy.Dropped {
		n.lossLocked(ev.Client).add(udpDrop{up: ev.Dir == faultproxy.Up, data: ev.Data})
	}
}

// lossOf returns the drops of the client socket at ap, as they come.
func (n *udpNet) lossOf(ap netip.AddrPort) *udpLoss {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lossLocked(ap)
}

func (n *udpNet) lossLocked(ap netip.AddrPort) *udpLoss {
	l := n.losses[ap]
	if l == nil {
		l = &udpLoss{changed: make(chan struct{})}
		n.losses[ap] = l
	}
	return l
}

// udpLoss is the datagrams a network dropped of one client socket, in
// order, and a channel closed (and replaced) at each drop.
type udpLoss struct {
	mu      sync.Mutex
	drops   []udpDrop
	changed chan struct{}
}

// udpDrop is one datagram a network dropped: a request (up) or what the
// server sent.
type udpDrop struct {
	up   bool
	data []byte
}

func (l *udpLoss) add(d udpDrop) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drops = append(l.drops, d)
	close(l.changed)
	l.changed = make(chan struct{})
}

// since returns the drops from the i-th on, and a channel closed at the
// next.
func (l *udpLoss) since(i int) ([]udpDrop, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drops[min(i, len(l.drops)):], l.changed
}

// maxNetResends bounds how many times one request is sent again because
// the network dropped it or its reply; past it, only the tries resend it.
const maxNetResends = 8

// repairLoss sends a request again as soon as the network drops it or its
// expected reply, until stop is closed. Such a send is no try: a try waits
// for the server, and a loss the network reports needs no wait to be
// known. Without it, each drop would cost a whole UDPTry.
func (r *udpRun) repairLoss(stop <-chan struct{}) {
	seen := 0
	for {
		drops, changed := r.loss.since(seen)
		seen += len(drops)
		for _, d := range drops {
			r.repair(d)
		}
		select {
		case <-changed:
		case <-stop:
			return
		}
	}
}

// repair sends again the first request that was sent, is still
// unanswered, and is d or expects d as its reply.
func (r *udpRun) repair(d udpDrop) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	for k, req := range r.reqs {
		if r.tries[k] == 0 || r.netResends[k] >= maxNetResends {
			continue
		}
		if d.up && !bytes.Equal(d.data, req) || !d.up && !bytes.Equal(d.data, r.wants[k]) {
			continue
		}
		if r.answered(k) {
			continue
		}
		r.netResends[k]++
		if err := r.conn.Send(req); err == nil {
			r.sends[k]++
		}
		return
	}
}

// answered reports whether request k has its expected reply so far.
func (r *udpRun) answered(k int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live[r.groups.of[k]] > r.groups.rank[k]
}

// finish closes the proxy, which waits for its last event, and returns
// what it did to the datagrams of the client socket at each address.
func (n *udpNet) finish(logf func(string, ...any)) map[netip.AddrPort]*udpNetRecord {
	n.p.Close()
	if logf != nil {
		logf("udp proxy stats: %+v", n.p.Stats())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.records
}

// udpNetRecord is what a network did to one client socket's datagrams,
// counted by payload: requests (up) and what the server sent (down).
type udpNetRecord struct {
	upDropped, upCopies     map[string]int
	downDropped, downCopies map[string]int
}

func (r *udpNetRecord) note(dir faultproxy.Direction, kind faultproxy.UDPEventKind, data []byte) {
	var m *map[string]int
	switch {
	case kind == faultproxy.Duplicated && dir == faultproxy.Up:
		m = &r.upCopies
	case kind == faultproxy.Duplicated:
		m = &r.downCopies
	case (kind == faultproxy.Dropped || kind == faultproxy.Discarded) && dir == faultproxy.Up:
		m = &r.upDropped
	case kind == faultproxy.Dropped || kind == faultproxy.Discarded:
		m = &r.downDropped
	default:
		return
	}
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[string(data)]++
}

// withoutCopies returns got less the copies the network made of what the
// server sent: for each payload it copied n times, its last n arrivals.
func (r *udpNetRecord) withoutCopies(got []clients.Datagram) []clients.Datagram {
	if r == nil || len(r.downCopies) == 0 {
		return got
	}
	left := make(map[string]int, len(r.downCopies))
	for k, v := range r.downCopies {
		left[k] = v
	}
	out := make([]clients.Datagram, len(got))
	copy(out, got)
	for i := len(out) - 1; i >= 0; i-- {
		k := string(out[i].Data)
		if left[k] > 0 && !out[i].Truncated {
			left[k]--
			out = append(out[:i], out[i+1:]...)
		}
	}
	return out
}

// requestCopies returns how many extra copies of the requests of group g
// of sk the network delivered, and how many it dropped.
func (sk *udpSock) requestCopies(g int) (copies, dropped int) {
	r := sk.net
	if r == nil {
		return 0, 0
	}
	seen := map[string]bool{}
	for k, req := range sk.reqs {
		if sk.groups.of[k] != g || seen[string(req)] {
			continue
		}
		seen[string(req)] = true
		copies += r.upCopies[string(req)]
		dropped += r.upDropped[string(req)]
	}
	return copies, dropped
}

// networkLost reports whether the network explains why request k of
// socket sk got no reply: fewer copies of the requests of its group
// reached the server, less the replies to them it dropped, than k's rank
// in its group. A dropped datagram that is none of the socket's expected
// replies (a damaged reply, say) counts against every request.
func (sk *udpSock) networkLost(k int) bool {
	r := sk.net
	if r == nil {
		return false
	}
	g := sk.groups.of[k]
	copies, dropped := sk.requestCopies(g)
	delivered := sk.sends[g] + copies - dropped
	lostReplies := r.downDropped[string(sk.wants[k])]
	for d, n := range r.downDropped {
		if _, ok := sk.groups.lookup([]byte(d)); !ok {
			lostReplies += n
		}
	}
	return delivered-lostReplies <= sk.groups.rank[k]
}

// attachNet gives each socket of obs the record of what the network did
// to its datagrams, found by the socket's address.
func attachNet(obs udpObs, runs []*udpRun, records map[netip.AddrPort]*udpNetRecord) {
	for i, r := range runs {
		rec := records[r.local()]
		if rec == nil {
			rec = &udpNetRecord{}
		}
		obs.sockets[i].net = rec
	}
}

// local returns the address of r's socket, IPv4 unmapped.
func (r *udpRun) local() netip.AddrPort {
	la, _ := r.conn.Conn.LocalAddr().(*net.UDPAddr)
	if la == nil {
		return netip.AddrPort{}
	}
	ap := la.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
