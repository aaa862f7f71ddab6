package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// ErrDatagramTooLarge is returned, wrapped, by UDPSize for a size that no
// UDP datagram over IPv4 can carry: the case cannot be checked, which says
// nothing about the server.
var ErrDatagramTooLarge = errors.New("check: a UDP payload cannot exceed 65507 bytes")

// UDPRoundTrip checks UDP-ROUNDTRIP: payload, sent from an unconnected
// socket as the seed's client sends it, is answered by one datagram
// carrying its uppercase.
func UDPRoundTrip(ctx context.Context, e Env, name string, payload []byte) error {
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPRoundTrip), Case: name, Sockets: []UDPSocketScript{{Datagrams: [][]byte{payload}}}})
}

// UDPBytes checks UDP-BYTES: payload comes back with exactly the a-z bytes
// uppercased and its length kept.
func UDPBytes(ctx context.Context, e Env, name string, payload []byte) error {
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPBytes), Case: name, Sockets: []UDPSocketScript{{Datagrams: [][]byte{payload}}}})
}

// UDPEmpty checks UDP-EMPTY: a zero-length datagram gets a zero-length
// reply, and the datagram after it gets its own reply. Unlike TCP, an empty
// UDP datagram exists on the wire, and socketserver answers it with
// sendto(b"".upper()). Both are sent at once, so that the reply to "after"
// is the positive signal that the server answers this socket: an empty
// datagram left unanswered then is UDP-EMPTY's, while a socket that gets
// nothing at all is UDP-ROUNDTRIP's.
func UDPEmpty(ctx context.Context, e Env) error {
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPEmpty), Case: "zero-length datagram, then \"after\"", Sockets: []UDPSocketScript{{
		Datagrams: [][]byte{{}, []byte("after")}, Burst: true,
	}}})
}

// UDPSize checks UDP-SIZE at one payload size: up to the declared maximum
// (Env.UDPMax) the reply is the whole uppercase; beyond it, the uppercase
// of the first maximum bytes, as a server reading with recvfrom(max) gets
// them. A server may not support more than it declares, but the rule says
// what it must then do. Sizes over MaxUDPPayload return an error wrapping
// ErrDatagramTooLarge.
func UDPSize(ctx context.Context, e Env, size int) error {
	if size < 0 || size > MaxUDPPayload {
		return fmt.Errorf("%w: UDP-SIZE at %d bytes not checked", ErrDatagramTooLarge, size)
	}
	kase := fmt.Sprintf("%s, declared maximum %d", nBytes(size), e.udpMax())
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPSize), Case: kase, Sockets: []UDPSocketScript{{
		Datagrams: [][]byte{clients.Payload(size, size)},
	}}})
}

// UDPSizes returns the sizes the UDP-SIZE specs check for a declared
// maximum: 0, 1, 1472 (an Ethernet MTU's payload), max-1, max, max+1 and
// 65507, in order, without repeats and without those over MaxUDPPayload.
func UDPSizes(max int) []int {
	if max <= 0 {
		max = DefaultUDPMax
	}
	var out []int
	seen := map[int]bool{}
	for _, n := range []int{0, 1, 1472, max - 1, max, max + 1, MaxUDPPayload} {
		if n >= 0 && n <= MaxUDPPayload && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// UDPSource checks UDP-SOURCE: a client on an unconnected socket gets its
// reply from the address and port it sent to, and a client on a connected
// socket gets its reply at all. The second is the one that matters in
// practice: the kernel drops every datagram a connected socket receives
// from another source, so a server that answers from another socket leaves
// connected clients waiting forever. Evidence of that is a connected
// round trip that times out while the unconnected one is answered from
// elsewhere; the text says "another port of the same host" or "another
// host", never the port number.
func UDPSource(ctx context.Context, e Env) error {
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPSource), Case: "unconnected and connected clients", Sockets: []UDPSocketScript{
		{Datagrams: [][]byte{[]byte("source, unconnected")}},
		{Connected: true, Datagrams: [][]byte{[]byte("source, connected")}},
	}})
}

// UDPOnce checks UDP-ONCE: n datagrams with unique payloads of varied sizes
// (so a reply padded from an earlier, longer datagram shows) are sent at
// once, in batches of onceWindow; after every reply has arrived and a quiet period has passed, each
// has exactly one reply, nothing else arrived, and no reply is larger than
// its request.
func UDPOnce(ctx context.Context, e Env, n int) error {
	ds := make([][]byte, n)
	for i := range ds {
		ds[i] = clients.Payload(i, 16+(i*53)%240)
	}
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPOnce), Case: fmt.Sprintf("%d unique datagrams at once", n), Sockets: []UDPSocketScript{
		{Datagrams: ds, Burst: true, Window: onceWindow},
	}})
}

// onceWindow is how many datagrams UDPOnce sends at once: few enough for a
// default socket receive buffer, so that loss and retries stay rare.
const onceWindow = 100

// UDPConcurrent checks UDP-CONCURRENT: sockets clients at once, every
// other one connected, each send each datagrams with unique payloads, in
// batches of concurrentWindow sent at once; every reply must reach the
// socket whose request it answers. Replies are matched by content, since the
// order across datagrams is not promised.
func UDPConcurrent(ctx context.Context, e Env, sockets, each int) error {
	script := UDPScript{ID: string(ReqUDPConcurrent), Case: fmt.Sprintf("%d sockets x %d datagrams", sockets, each)}
	for s := range sockets {
		ds := make([][]byte, each)
		for j := range ds {
			ds[j] = clients.Payload(s*each+j, 32)
		}
		script.Sockets = append(script.Sockets, UDPSocketScript{Connected: s%2 == 1, Datagrams: ds, Burst: true, Window: concurrentWindow})
	}
	return RunUDP(ctx, e, script)
}

// concurrentWindow is how many datagrams each UDPConcurrent socket sends
// at once: small enough that 50 sockets together fit a default 208 KiB
// socket receive buffer, so loss, and with it retries, stay rare.
const concurrentWindow = 4

// Parts of UDPSurvive.
const (
	// closedPortRounds is how many sockets send a burst and close at once.
	closedPortRounds = 3
	// closedPortBurst is how many datagrams each of them sends.
	closedPortBurst = 8
	// corkBurst is how many datagrams another socket sends just before
	// each closing socket's burst: the server is still answering them when
	// the closing socket's datagrams arrive, so that socket has closed
	// before their replies are sent.
	corkBurst = 64
	// floodBudget bounds the sending of a flood, before Env.Scale.
	floodBudget = 10 * time.Second
	// recoverBudget bounds each round trip after the flood, before
	// Env.Scale: a server may be busy for a moment after it.
	recoverBudget = 2 * ReplyTimeout
)

// UDPSurvive checks UDP-SURVIVE in three parts, each followed by round trips
// from a new socket that must be answered:
//
//   - replies to closed ports: sockets send a burst and close before the
//     server answers it (another socket's burst just before keeps the
//     server busy), so that the replies hit a closed port and the kernel
//     answers with ICMP port unreachable. On platforms that report that as an error
//     on the server's next read (Windows' WSAECONNRESET, the seed's
//     ConnectionResetError; Linux with IP_RECVERR), a server that ends on a
//     read error stops here.
//   - oversized datagrams: payloads from the declared maximum + 1 up to
//     65507 bytes (their replies are UDP-SIZE's business, not judged here).
//   - a flood: flood small datagrams sent as fast as the kernel takes them,
//     from one socket that does not read its replies. Replies to them are
//     not required; the round trips after it are, with patience.
//
// A part that fails ends the check: what follows could not be told apart.
func UDPSurvive(ctx context.Context, e Env, flood int) (err error) {
	var vs Violations
	after := func(kase string, budget time.Duration, msgs ...string) bool {
		for _, m := range msgs {
			if err := probeUDP(ctx, e, m, budget); err != nil {
				vs.add(udpProbeID(err), kase, "a new socket answered after "+kase, err.Error(), "new socket")
				return false
			}
		}
		return true
	}
	defer func() {
		// A round trip cut short by the caller's deadline is no verdict.
		if ctxErr := ctxDone(ctx); ctxErr != nil {
			err = fmt.Errorf("check: UDP-SURVIVE interrupted: %w", ctxErr)
		}
	}()
	if err := probeUDP(ctx, e, "before the events", UDPTries*UDPTry); err != nil {
		// Before any event, a new socket left unanswered is a round
		// trip's failure, not a failure to survive.
		id := udpProbeID(err)
		if id == string(ReqUDPSurvive) {
			id = string(ReqUDPRoundTrip)
		}
		vs.add(id, "before the events", "a new socket answered before any event", err.Error(), "new socket")
		return vs.Err()
	}

	// Replies to closed ports.
	kase := "replies to closed ports"
	cork, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return fmt.Errorf("check: opening a UDP socket: %s", clients.DescribeErr(err))
	}
	defer cork.Close()
	corked := clients.NewReceiver(cork, clients.MaxDatagram, closedPortRounds*(corkBurst+1))
	defer corked.Stop()
	for i := range closedPortRounds {
		if err := replyToClosedPort(ctx, e, cork, corked, i); err != nil {
			return err
		}
		if !after(kase, UDPTries*UDPTry, fmt.Sprintf("after closed port %d", i)) {
			return vs.Err()
		}
	}

	// Oversized datagrams.
	kase = "oversized datagrams"
	if err := sendOversized(ctx, e); err != nil {
		return err
	}
	if !after(kase, UDPTries*UDPTry, "after oversized", "after oversized, again") {
		return vs.Err()
	}

	// A flood.
	kase = fmt.Sprintf("a flood of %d datagrams", flood)
	f, ferr := clients.ListenUDP(e.UDP)
	if ferr != nil {
		return fmt.Errorf("check: opening a UDP socket: %s", clients.DescribeErr(ferr))
	}
	defer f.Close()
	fctx, cancel := e.within(ctx, floodBudget)
	defer cancel()
	start, sent, failed := time.Now(), 0, 0
	msg := []byte("flood datagram 0000000")
	for i := 0; i < flood && fctx.Err() == nil; i++ {
		copy(msg[len(msg)-7:], fmt.Sprintf("%07d", i%10000000))
		if err := f.Send(msg); err != nil {
			failed++
			continue
		}
		sent++
	}
	e.logf("udp survive: flood of %d from %s: %d sent, %d send errors, in %v", flood, f.Conn.LocalAddr(), sent, failed, time.Since(start).Round(time.Millisecond))
	after(kase, recoverBudget, "after the flood", "after the flood, again", "after the flood, once more")
	return vs.Err()
}

// replyToClosedPort has a socket send a burst and close before the server
// answers it. The cork socket sends a burst first, which keeps the server
// busy while the closing socket sends and closes, and a last datagram
// after it, whose reply (awaited for a bounded time, not required) says
// the server has read past the closing socket's datagrams and answered
// them: the round trip that follows then comes after the ICMP errors, not
// before them.
func replyToClosedPort(ctx context.Context, e Env, cork *clients.UDPConn, corked *clients.Receiver, round int) error {
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return fmt.Errorf("check: opening a UDP socket: %s", clients.DescribeErr(err))
	}
	for j := range corkBurst {
		cork.Send(clients.Payload(round*corkBurst+j, 24))
	}
	for j := range closedPortBurst {
		c.Send(clients.Payload(round*closedPortBurst+j, 24))
	}
	local := c.Conn.LocalAddr()
	c.Close()
	tail := fmt.Appendf(nil, "after closing socket %d", round)
	want := Upper(tail)
	cork.Send(tail)
	wctx, cancel := e.within(ctx, UDPTry)
	defer cancel()
	answered := corked.WaitUntil(wctx, func(ds []clients.Datagram) bool {
		return slices.ContainsFunc(ds, func(d clients.Datagram) bool { return bytes.Equal(d.Data, want) })
	})
	e.logf("udp survive: %s closed after %d datagrams; datagram after it answered %v", local, closedPortBurst, answered)
	return nil
}

// sendOversized sends datagrams larger than the declared maximum and waits
// (bounded) for their replies, so that the round trips after them follow
// the server's handling of them rather than race it. Missing or wrong
// replies are not judged here.
func sendOversized(ctx context.Context, e Env) error {
	max := e.udpMax()
	var sizes []int
	for _, n := range []int{max + 1, (max + 1 + MaxUDPPayload) / 2, MaxUDPPayload} {
		if n > max && n <= MaxUDPPayload && (len(sizes) == 0 || sizes[len(sizes)-1] != n) {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		e.logf("udp survive: declared maximum %d leaves no oversized datagram to send", max)
		return nil
	}
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return fmt.Errorf("check: opening a UDP socket: %s", clients.DescribeErr(err))
	}
	defer c.Close()
	recv := clients.NewReceiver(c, clients.MaxDatagram, 4*len(sizes))
	defer recv.Stop()
	for _, n := range sizes {
		if err := c.Send(clients.Payload(n, n)); err != nil {
			e.logf("udp survive: oversized datagram of %d bytes not sent: %v", n, err)
		}
	}
	wctx, cancel := e.within(ctx, UDPTries*UDPTry)
	defer cancel()
	ok := recv.WaitUntil(wctx, func(ds []clients.Datagram) bool { return len(ds) >= len(sizes) })
	e.logf("udp survive: oversized datagrams %v: all answered %v", sizes, ok)
	return nil
}
