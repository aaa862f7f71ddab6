package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// The pre-flight probe: "a" must come back as "A".
var (
	probeRequest = []byte("a")
	probeWant    = "A"
)

// probeReadCap bounds what the probe reads of a reply.
const probeReadCap = 64

// Timeouts of the probe, before scaling.
const (
	probeDialTimeout  = 3 * time.Second
	probeReplyTimeout = 2 * time.Second
	// udpProbeFirstWait is how long the first datagram waits for its reply;
	// each retry waits twice as long as the one before.
	udpProbeFirstWait = 100 * time.Millisecond
	// udpProbeTries is how many datagrams an already-running UDP target
	// gets before it is said not to answer: loopback may lose one.
	udpProbeTries = 5
)

// ProbeResult is what the pre-flight probe observed on one protocol. A
// target that answers the probe wrongly is there, and not conformant: Start
// succeeds and the specs give the verdict; ProbeResult lets the caller say so
// up front.
type ProbeResult struct {
	// Network is "tcp" or "udp".
	Network string
	// Addr is where the probe was sent; "" when the protocol is not served.
	Addr string
	// Reply is what came back for "a": the first read's bytes on TCP, the
	// first datagram on UDP, at most 64 bytes. Nil when nothing came.
	Reply []byte
	// End says, on TCP when no byte came back, how the exchange ended:
	// "EOF", "connection reset", "timeout" or the error.
	End string
	// From is the reply's source address on UDP when it is not Addr's
	// (a UDP-SOURCE violation); "" otherwise.
	From string
	// Silent, when set, says that this side never answered while the
	// target's other protocol did, and what the probe saw: "no reply to
	// any of 57 datagrams", "connection refused". The target is there:
	// that protocol's specs fail with it, the other's are judged.
	Silent string
}

// Served reports whether the protocol is served at all.
func (p ProbeResult) Served() bool { return p.Addr != "" }

// OK reports whether the probe got exactly "A" back (or the protocol is not
// served).
func (p ProbeResult) OK() bool {
	return !p.Served() || (string(p.Reply) == probeWant && p.From == "" && p.Silent == "")
}

// String describes the observation without addresses, so it is the same on
// every run: `tcp: sent "a", got "A"`, `tcp: sent "a", got nothing (EOF)`.
func (p ProbeResult) String() string {
	switch {
	case !p.Served():
		return p.Network + ": not served"
	case p.Silent != "":
		return fmt.Sprintf("%s: %s", p.Network, p.Silent)
	case p.Reply == nil && p.End != "":
		return fmt.Sprintf("%s: sent %q, got nothing (%s)", p.Network, probeRequest, p.End)
	case p.Reply == nil:
		return fmt.Sprintf("%s: sent %q, got nothing", p.Network, probeRequest)
	case p.From != "":
		return fmt.Sprintf("%s: sent %q, got %q from another address", p.Network, probeRequest, p.Reply)
	}
	return fmt.Sprintf("%s: sent %q, got %q", p.Network, probeRequest, p.Reply)
}

// errSelfConnect is a dial that connected to itself: on loopback, a dial to
// a port nobody listens on can pick that very port as its source and meet
// itself (TCP simultaneous open). It means nothing listens yet.
var errSelfConnect = fmt.Errorf("%w (the dial met itself)", syscall.ECONNREFUSED)

// dialTCP connects to addr (keep-alive off, as clients.DialTCP does)
// within timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (*clients.TCPConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := clients.DialTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	if c.Conn.LocalAddr().String() == c.Conn.RemoteAddr().String() {
		c.Close()
		return nil, errSelfConnect
	}
	return c, nil
}

// exchangeTCP sends "a" on c and notes the first read's reply (up to
// probeReadCap bytes, however many it holds), or how the exchange ended
// without one. It closes c.
func exchangeTCP(c *clients.TCPConn, timeout time.Duration, res *ProbeResult) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.Write(ctx, probeRequest); err != nil {
		res.End = reason(err)
		return
	}
	// The read stops at the first bytes: the reply is what they are.
	r := c.ReadToEndFunc(ctx, probeReadCap, func(p []byte) {
		if res.Reply == nil {
			res.Reply = bytes.Clone(p)
			cancel()
		}
	})
	if res.Reply == nil {
		res.End = reason(r.Err)
		if r.End == clients.EndEOF {
			res.End = reason(io.EOF)
		}
	}
}

// probeTCP probes an already-running TCP target. It fails only when nothing
// accepts the connection; what comes back is in the result.
func probeTCP(ctx context.Context, s Settings, addr string) (ProbeResult, error) {
	res := ProbeResult{Network: "tcp", Addr: addr}
	c, err := dialTCP(ctx, addr, s.Scale(probeDialTimeout))
	if err != nil {
		return res, err
	}
	exchangeTCP(c, s.Scale(probeReplyTimeout), &res)
	return res, nil
}

// udpProber sends probe datagrams to one address from one unconnected
// socket (clients.ListenUDP), so that a late reply to an earlier datagram
// still counts and a reply from a wrong source address is seen rather than
// filtered out.
type udpProber struct {
	c    *clients.UDPConn
	sent int
}

func newUDPProber(addr string) (*udpProber, error) {
	c, err := clients.ListenUDP(addr)
	if err != nil {
		return nil, err
	}
	return &udpProber{c: c}, nil
}

// try sends one probe datagram and waits up to wait for a reply (to it or to
// an earlier one), which it notes in res. The error says none came: a
// timeout (wrapping clients.ErrNoReply) when none came in time.
func (u *udpProber) try(ctx context.Context, wait time.Duration, res *ProbeResult) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	u.sent++
	d, _, err := u.c.RoundTrip(ctx, probeRequest, 1, nil)
	if err != nil {
		return err
	}
	res.Reply = d.Data[:min(len(d.Data), probeReadCap)]
	if d.From != u.c.Remote {
		res.From = d.From.String()
	}
	return nil
}

func (u *udpProber) close() { u.c.Close() }

// errNoReply says a UDP target let every probe datagram (n of them, when
// the count does not depend on timing) go unanswered.
type errNoReply struct{ n int }

func (e errNoReply) Error() string {
	if e.n == 0 {
		return "no reply"
	}
	return fmt.Sprintf("no reply to %d datagrams", e.n)
}

// silence says what a probe saw of a side that never answered, for
// ProbeResult.Silent: "no reply to any of 57 datagrams", or the reason
// of err ("connection refused").
func silence(err error, sent int) string {
	var nr errNoReply
	if errors.As(err, &nr) || clients.IsTimeout(err) {
		if sent > 0 {
			return fmt.Sprintf("no reply to any of %d datagrams", sent)
		}
		return "no reply"
	}
	var pe protoErr
	if errors.As(err, &pe) {
		return silence(pe.err, sent)
	}
	return reason(err)
}

// probeUDP probes an already-running UDP target with up to udpProbeTries
// datagrams, each waiting twice as long as the one before. It fails when no
// reply came at all.
func probeUDP(ctx context.Context, s Settings, addr string) (ProbeResult, error) {
	res := ProbeResult{Network: "udp", Addr: addr}
	u, err := newUDPProber(addr)
	if err != nil {
		return res, err
	}
	defer u.close()
	wait := s.Scale(udpProbeFirstWait)
	for range udpProbeTries {
		err := u.try(ctx, wait, &res)
		if err == nil {
			return res, nil
		}
		if !clients.IsTimeout(err) {
			return res, err
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		wait *= 2
	}
	return res, errNoReply{u.sent}
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// reason names what err means for a probe in a few words, without
// addresses: the protocol a probe failure was on, "no reply to 5
// datagrams", and otherwise the words of clients.DescribeErr ("connection
// refused", "connection reset", "EOF", "timeout", "no such host").
func reason(err error) string {
	var nr errNoReply
	var pe protoErr
	switch {
	case errors.As(err, &pe):
		return pe.network + ": " + reason(pe.err)
	case errors.As(err, &nr):
		return nr.Error()
	}
	return clients.DescribeErr(err)
}
