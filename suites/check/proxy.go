package check

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/faultproxy"
)

// NetFaults are the faults of a network between the clients and the server,
// injected by a fault-injecting TCP proxy (faultproxy) that a check
// starts in front of Env.TCP. The zero value is a proxy that relays both
// directions as they come.
//
// Segmenting, delays and latency change nothing a client may observe: TCP
// is a byte stream, so every rule holds as it does without the proxy. A
// reset injected after ResetAt bytes of a direction ends the connection
// under both the client and the server: the client then gets a prefix of
// its reply, and a reset.
type NetFaults struct {
	// Seed seeds the random segment sizes.
	Seed int64 `json:"seed,omitempty"`
	// Up is the client-to-server direction, Down the server-to-client one.
	Up   StreamFaults `json:"up,omitzero"`
	Down StreamFaults `json:"down,omitzero"`
}

// StreamFaults are the faults of one direction; see faultproxy.Faults, whose
// fields they are (stalls aside: a stalled network leaves nothing to judge).
type StreamFaults struct {
	// Latency holds back the direction's first byte.
	Latency time.Duration `json:"latency,omitempty"`
	// Segment slices the direction into writes of Segment bytes, or of
	// Segment to SegmentMax bytes drawn from the seed; 0 leaves it whole.
	Segment    int `json:"segment,omitempty"`
	SegmentMax int `json:"segment_max,omitempty"`
	// Delay is the pause before each segment but the first.
	Delay time.Duration `json:"delay,omitempty"`
	// Reset resets the connection once ResetAt bytes of the direction have
	// been relayed (at once, for 0).
	Reset   bool  `json:"reset,omitempty"`
	ResetAt int64 `json:"reset_at,omitempty"`
}

func (f StreamFaults) proxy() faultproxy.Faults {
	return faultproxy.Faults{Latency: f.Latency, Segment: f.Segment, SegmentMax: f.SegmentMax, Delay: f.Delay, Reset: f.Reset, ResetAt: f.ResetAt}
}

// String says what the direction's faults do, in words fit for a case name:
// "1-byte segments 100µs apart, reset after 1000 bytes"; "as is" for none.
func (f StreamFaults) String() string {
	var parts []string
	switch {
	case f.Segment > 0 && f.SegmentMax > f.Segment:
		parts = append(parts, fmt.Sprintf("segments of %d-%d bytes", f.Segment, f.SegmentMax))
	case f.Segment > 0:
		parts = append(parts, fmt.Sprintf("%d-byte segments", f.Segment))
	}
	if f.Delay > 0 {
		if len(parts) == 0 {
			parts = append(parts, "reads")
		}
		parts[len(parts)-1] += fmt.Sprintf(" %v apart", f.Delay)
	}
	if f.Latency > 0 {
		parts = append(parts, fmt.Sprintf("%v latency", f.Latency))
	}
	if f.Reset {
		parts = append(parts, "reset after "+nBytes(int(f.ResetAt)))
	}
	if len(parts) == 0 {
		return "as is"
	}
	return strings.Join(parts, ", ")
}

// String describes the faults of both directions, and the seed when a size
// is drawn from it, deterministically: "up: 1-byte segments; down: segments
// of 1-512 bytes (seed 7)".
func (f NetFaults) String() string {
	s := "up: " + f.Up.String() + "; down: " + f.Down.String()
	if f.Up.SegmentMax > f.Up.Segment || f.Down.SegmentMax > f.Down.Segment {
		s += fmt.Sprintf(" (seed %d)", f.Seed)
	}
	return s
}

// resets reports whether f injects resets.
func (f NetFaults) resets() bool { return f.Up.Reset || f.Down.Reset }

// resetAtOnce reports whether f may reset a connection before its connect
// has returned: a reset at offset 0 fires as soon as the proxy accepts it.
func (f NetFaults) resetAtOnce() bool {
	return (f.Up.Reset && f.Up.ResetAt == 0) || (f.Down.Reset && f.Down.ResetAt == 0)
}

// RunTCPThroughProxy runs s as RunTCP does, but with its connections going
// through a fault-injecting proxy in front of e.TCP that mangles the network
// as f says, and judges them by the same rules, with one allowance: when f
// injects resets, a connection the proxy resets may end in that reset (its
// connect too, for a reset at offset 0) instead of its script's end. What
// it received must then be a prefix of upper(what it sent), and, when only
// the reply direction is reset (f.Down.Reset) and more than ResetAt reply
// bytes were owed, exactly ResetAt bytes of it: the proxy delivers every
// byte before its reset, so a shorter reply means the server cut the
// stream. A reset the proxy did not inject (the server's own, passed on)
// is a violation as it is without the proxy. The closing check that a new
// connection is served goes straight to the server.
//
// The fuzzers call it with faults they draw; an error that holds no
// Violation means the proxy could not be started (a bad f).
func RunTCPThroughProxy(ctx context.Context, e Env, s TCPScript, f NetFaults) error {
	p, err := startProxy(e, f)
	if err != nil {
		return err
	}
	defer p.close()
	return p.run(ctx, s).Err()
}

// proxied is a fault-injecting proxy in front of a server, with a record of
// the connections whose reset it injected.
type proxied struct {
	e, pe     Env // pe.TCP is the proxy's address, e.TCP the server's
	f         NetFaults
	p         *faultproxy.Proxy
	closeOnce sync.Once

	mu       sync.Mutex
	injected map[int]bool // by connection index, in accept order
}

// startProxy starts a proxy with f's faults in front of e.TCP.
func startProxy(e Env, f NetFaults) (*proxied, error) {
	if e.TCP == "" {
		return nil, errors.New("check: no TCP address to check")
	}
	x := &proxied{e: e, f: f, injected: make(map[int]bool)}
	cfg := faultproxy.Config{Seed: f.Seed, Up: f.Up.proxy(), Down: f.Down.proxy(), Trace: x.trace}
	p, err := faultproxy.New(e.TCP, cfg)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	x.p, x.pe = p, e
	x.pe.TCP = p.Addr()
	e.logf("proxy %s -> %s: %s", p.Addr(), e.TCP, f)
	return x, nil
}

func (x *proxied) trace(ev faultproxy.Event) {
	if ev.Kind == faultproxy.ResetInjected {
		x.mu.Lock()
		x.injected[ev.Conn] = true
		x.mu.Unlock()
	}
}

// close stops the proxy once; the proxy is used for one run.
func (x *proxied) close() {
	x.closeOnce.Do(func() {
		x.p.Close()
		x.e.logf("proxy stats: %+v", x.p.Stats())
	})
}

// run runs s's connections through the proxy, closes the proxy, judges the
// connections with f's allowance for resets, and checks that a new
// connection straight to the server is served. A proxied runs once.
func (x *proxied) run(ctx context.Context, s TCPScript) Violations {
	vs := x.runConns(ctx, s)
	if !s.SkipFinalProbe && len(vs) == 0 {
		if err := probeTCP(ctx, x.e); err != nil {
			id := "TCP-CHURN"
			if x.f.resets() {
				id = "TCP-RESET"
			}
			vs = append(vs, judgeFinalProbe(s, id, err)...)
		}
	}
	return vs
}

// runConns runs and judges s's connections. They are dialled one at a
// time, as RunTCP does, so connection i of the script is the proxy's
// connection i.
func (x *proxied) runConns(ctx context.Context, s TCPScript) Violations {
	s.known = x.e.Findings.Has
	conns, vs := dialAndRun(ctx, x.pe, s, func(i int, err error) bool {
		if x.f.resetAtOnce() && clients.EndOf(err) == clients.EndReset {
			// Reset by the proxy before the connect returned: nothing
			// was sent, nothing is owed.
			x.e.logf("tcp conn %d: reset during connect", i)
			return true
		}
		return false
	})
	if len(vs) > 0 {
		return vs
	}
	// Closing the proxy waits for its goroutines, and so for the trace of
	// every reset it injected: a client can see the reset before the
	// proxy has recorded it.
	x.close()
	x.mu.Lock()
	injected := maps.Clone(x.injected)
	x.mu.Unlock()
	s.served = s.beside || anyServed(conns)
	s.midStream = lostMidStream(ctx, x.e, conns, func(i int) bool { return injected[i] })
	vs = judgeProxied(s, x.f, proxiedObs{conns: conns, injected: injected, refused: x.p.Stats().DialErrors})
	for _, f := range tcpFindings(s, conns, vs) {
		x.e.Findings.Note(f)
	}
	return vs
}

// TCPStreamThroughProxy checks TCP-STREAM as TCPStream does, through a
// network that mangles the stream as f says (segments, delays, latency;
// f must not reset): the reply stream is still upper(the request stream),
// then EOF.
func TCPStreamThroughProxy(ctx context.Context, e Env, c StreamCase, f NetFaults) error {
	return RunTCPThroughProxy(ctx, e, TCPScript{ID: "TCP-STREAM", Case: c.Name + "; " + f.String(), Conns: []TCPConnScript{{NoDelay: c.NoDelay, Steps: []TCPStep{
		{Op: Write, Data: c.Payload, Chunks: c.Chunks, Pause: c.Pause}, {Op: HalfClose},
	}}}}, f)
}

// TCPEOFThroughProxy checks TCP-EOF as TCPEOF does, through a network that
// mangles the stream as f says (f must not reset): the client's half-close
// reaches the server after every byte it sent, and every reply byte, then
// the server's EOF, reach the client.
func TCPEOFThroughProxy(ctx context.Context, e Env, name string, payload []byte, f NetFaults) error {
	steps := []TCPStep{{Op: HalfClose}}
	if len(payload) > 0 {
		steps = append([]TCPStep{{Op: Write, Data: payload}}, steps...)
	}
	return RunTCPThroughProxy(ctx, e, TCPScript{ID: "TCP-EOF", Case: name + "; " + f.String(), Conns: []TCPConnScript{{Steps: steps}}}, f)
}

// TCPResetThroughProxy checks TCP-RESET with the reset coming from the
// network: with a bystander connection open straight to the server, a
// client writes payload (reading as it writes) and half-closes through a
// proxy that resets the connection as f says, mid-request (f.Up) or
// mid-reply (f.Down). The client must get a prefix of upper(payload), then
// the reset (exactly f.Down.ResetAt bytes for a reply reset); its connect
// may itself end in the reset for a reset at offset 0. Then the bystander
// and a new connection, both straight to the server, must be served.
// payload must be longer than the offset of a reset, or there is none.
func TCPResetThroughProxy(ctx context.Context, e Env, name string, payload []byte, f NetFaults) error {
	n := int64(len(payload))
	if !(f.Up.Reset && n > f.Up.ResetAt) && !(f.Down.Reset && n > f.Down.ResetAt) {
		return fmt.Errorf("check: TCPResetThroughProxy: no reset within %s (%s)", nBytes(len(payload)), f)
	}
	x, err := startProxy(e, f)
	if err != nil {
		return err
	}
	defer x.close()
	kase := name + "; " + f.String()
	return withBystander(ctx, e, "TCP-RESET", kase, func(ctx context.Context) error {
		return x.run(ctx, TCPScript{ID: "TCP-RESET", Case: kase, SkipFinalProbe: true, beside: true, Conns: []TCPConnScript{{Steps: []TCPStep{
			{Op: Write, Data: payload}, {Op: HalfClose},
		}}}}).Err()
	})
}
