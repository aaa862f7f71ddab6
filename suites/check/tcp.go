package check

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// TCPRoundTrip checks TCP-ROUNDTRIP: payload is written and its reply read
// back in full while the connection stays open, then the connection ends
// with a half-close and an orderly EOF.
func TCPRoundTrip(ctx context.Context, e Env, name string, payload []byte) error {
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPRoundTrip), Case: name, Conns: []TCPConnScript{{Steps: []TCPStep{
		{Op: Write, Data: payload}, {Op: Read}, {Op: HalfClose},
	}}}})
}

// TCPPingPong checks TCP-ROUNDTRIP over many exchanges on one connection:
// each message's reply must arrive before the next is sent, as the seed's
// client expects.
func TCPPingPong(ctx context.Context, e Env, rounds int, msg []byte) error {
	steps := make([]TCPStep, 0, 2*rounds+1)
	for range rounds {
		steps = append(steps, TCPStep{Op: Write, Data: msg}, TCPStep{Op: Read})
	}
	steps = append(steps, TCPStep{Op: HalfClose})
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPRoundTrip), Case: fmt.Sprintf("%d ping-pongs of %q", rounds, msg),
		Conns: []TCPConnScript{{Steps: steps, NoDelay: true}}})
}

// TCPBytes checks TCP-BYTES: payload comes back with exactly the a-z bytes
// uppercased, first as a round trip, then to an orderly EOF.
func TCPBytes(ctx context.Context, e Env, name string, payload []byte) error {
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPBytes), Case: name, Conns: []TCPConnScript{{Steps: []TCPStep{
		{Op: Write, Data: payload}, {Op: Read}, {Op: HalfClose},
	}}}})
}

// StreamCase is one TCP-STREAM case: how the client cuts its writes.
type StreamCase struct {
	Name    string
	Payload []byte
	// Chunks cycles through the sizes of successive writes; nil writes the
	// payload at once.
	Chunks []int
	// Pause is the sleep between writes.
	Pause time.Duration
	// NoDelay turns Nagle's algorithm off on the client.
	NoDelay bool
}

// TCPStream checks TCP-STREAM: the payload, written as the case says while
// the client reads concurrently, comes back as one stream equal to
// upper(payload), followed by EOF after the half-close.
func TCPStream(ctx context.Context, e Env, c StreamCase) error {
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPStream), Case: c.Name, Conns: []TCPConnScript{{NoDelay: c.NoDelay, Steps: []TCPStep{
		{Op: Write, Data: c.Payload, Chunks: c.Chunks, Pause: c.Pause}, {Op: HalfClose},
	}}}})
}

// RandomChunks returns n write sizes in [1, maxSize] drawn from seed, so a
// failing case can be replayed from the seed in its name.
func RandomChunks(seed uint64, n, maxSize int) []int {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(maxSize)
	}
	return sizes
}

// TCPEOF checks TCP-EOF: the client writes payload and half-closes at once,
// without reading first; every reply byte must arrive, then EOF, not a reset.
func TCPEOF(ctx context.Context, e Env, name string, payload []byte) error {
	steps := []TCPStep{{Op: HalfClose}}
	if len(payload) > 0 {
		steps = append([]TCPStep{{Op: Write, Data: payload}}, steps...)
	}
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPEOF), Case: name, Conns: []TCPConnScript{{Steps: steps}}})
}

// ResetCase says when the client resets its connection.
type ResetCase int

// The moments TCPReset resets a connection.
const (
	// ResetBeforeData resets a connection that has sent nothing.
	ResetBeforeData ResetCase = iota
	// ResetMidStream resets after a round trip and a further unanswered write.
	ResetMidStream
	// ResetDuringReply resets while the server is still writing a large reply.
	ResetDuringReply
)

var resetNames = [...]string{"reset before any data", "reset mid-stream", "reset while the server writes a large reply"}

func (c ResetCase) String() string { return resetNames[c] }

// TCPReset checks TCP-RESET: a bystander connection is open and answered,
// another connection resets as c says, then the bystander is answered again
// and a new connection is served.
func TCPReset(ctx context.Context, e Env, c ResetCase) error {
	return withBystander(ctx, e, ReqTCPReset, c.String(), func(ctx context.Context) error {
		var steps []TCPStep
		switch c {
		case ResetMidStream:
			steps = []TCPStep{{Op: Write, Data: bytes.Repeat([]byte("reset me "), 100)}, {Op: Read}, {Op: Write, Data: []byte("half a sentence")}}
		case ResetDuringReply:
			steps = []TCPStep{{Op: Write, Data: bytes.Repeat([]byte("large reply "), 8<<20/12)}}
		}
		steps = append(steps, TCPStep{Op: Reset})
		return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPReset), Case: c.String(), SkipFinalProbe: true, beside: true, Conns: []TCPConnScript{{Steps: steps}}})
	})
}

// Provoke causes, alone, the events of requirement req that a case
// needing it (Case.Needs) causes among others, and reports whether it
// knows how: for TCP-RESET, provokeTimes new connections one after another
// each write a request of 64 KiB and reset at once, while the server
// reads it or writes its reply. The caller then sees whether the server
// survived them.
func Provoke(ctx context.Context, e Env, req Req) bool {
	if req != ReqTCPReset || e.TCP == "" {
		return false
	}
	done := 0
	for i := range provokeTimes {
		dctx, cancel := e.within(ctx, DialTimeout)
		c, err := clients.DialTCP(dctx, e.TCP)
		if err == nil && c.Write(dctx, clients.Payload(i, 64<<10)) == nil {
			done++
		}
		cancel()
		if c != nil {
			c.Reset()
		}
		if err != nil {
			break
		}
	}
	// Give the server a moment to take in the resets.
	clients.Sleep(ctx, e.T(provokeWait))
	return done > 0
}

// How Provoke causes its events: how many times, and how long, before
// Env.Scale, it then leaves the server to take them in.
const (
	provokeTimes = 10
	provokeWait  = 200 * time.Millisecond
)

// DisconnectCase says how a client vanishes.
type DisconnectCase int

// The ways TCPDisconnect's client vanishes.
const (
	// CloseUnread writes a large request and closes without reading the reply.
	CloseUnread DisconnectCase = iota
	// CloseMidWrite closes while its write of a large request is under way.
	CloseMidWrite
	// CloseMidReply reads part of a large reply, then closes.
	CloseMidReply
)

var disconnectNames = [...]string{"close with a large reply still due", "close right after a large write", "close after reading part of a large reply"}

func (c DisconnectCase) String() string { return disconnectNames[c] }

// TCPDisconnect checks TCP-DISCONNECT: with a bystander connection open, a
// client vanishes as c says; the bystander is answered again and a new
// connection is served.
func TCPDisconnect(ctx context.Context, e Env, c DisconnectCase) error {
	return withBystander(ctx, e, ReqTCPDisconnect, c.String(), func(ctx context.Context) error {
		big := bytes.Repeat([]byte("vanishing client "), 4<<20/17)
		var steps []TCPStep
		switch c {
		case CloseUnread:
			steps = []TCPStep{{Op: Write, Data: big}, {Op: Close}}
		case CloseMidWrite:
			steps = []TCPStep{{Op: Write, Data: big[:1<<20], Chunks: []int{64 << 10}}, {Op: Close}}
		case CloseMidReply:
			steps = []TCPStep{{Op: Write, Data: big[:64<<10]}, {Op: Read}, {Op: Write, Data: big}, {Op: Close}}
		}
		return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPDisconnect), Case: c.String(), SkipFinalProbe: true, beside: true, Conns: []TCPConnScript{{Steps: steps}}})
	})
}

// withBystander opens a connection and checks a round trip on it, runs
// event, checks the bystander again, closes it and checks a new
// connection. What goes wrong after the event is reported under req; a
// bystander that is not answered before it breaks TCP-ROUNDTRIP, and the
// event's connections left unserved while the bystander was open break
// TCP-CONCURRENT (see judgeTCPConn): req is then not judged. Once an
// earlier check confirmed that the server serves one connection at a time,
// req cannot be judged at all, and the check says so at once.
func withBystander(ctx context.Context, e Env, req Req, kase string, event func(context.Context) error) error {
	id := string(req)
	var vs Violations
	if e.Findings.Has(NotConcurrent) {
		vs.add(string(ReqTCPConcurrent), kase, "a second connection served while the bystander is open",
			"not tried: an earlier check saw a connection left unserved while another was open", "")
		return vs.Err()
	}
	by, err := e.dialTCP(ctx)
	if err != nil {
		vs.add(id, kase, "the bystander connection accepted", "connect failed: "+clients.DescribeErr(err), "before the event")
		return vs.Err()
	}
	defer by.Close()
	// What the bystander sent and got so far, for judging its bytes as
	// one stream.
	var sent, gotAll []byte
	bystander := func(when string, msg string, blame string) bool {
		rctx, cancel := context.WithTimeout(ctx, e.wait(NoRoundTrip))
		defer cancel()
		got, err := by.RoundTrip(rctx, []byte(msg))
		sent, gotAll = append(sent, msg...), append(gotAll, got...)
		if want := Upper([]byte(msg)); err != nil || !bytes.Equal(got, want) {
			obs := fmt.Sprintf("reply %q", got)
			if err != nil {
				obs += ", then " + clients.DescribeErr(err)
			}
			// Wrong bytes break the rule their kind of difference
			// breaks (see classifyWrong), whatever the event.
			if d := firstDiff(Upper(sent), gotAll); d >= 0 && d < len(gotAll) {
				blame, _ = classifyWrong(sent, Upper(sent), gotAll, d, nil, 0)
			}
			vs.add(blame, kase, fmt.Sprintf("the bystander's %q answered with %q", msg, want), obs, "bystander connection, "+when)
			return false
		}
		return true
	}
	// Before the event nothing else is open: a bystander left without its
	// reply says the server does not answer round trips.
	if !bystander("before the event", "bystander before", string(ReqTCPRoundTrip)) {
		if e.Findings != nil && len(vs) > 0 && strings.HasPrefix(vs[0].Observed, `reply ""`) {
			e.Findings.Note(NoRoundTrip)
		}
		return vs.Err()
	}
	if err := event(ctx); err != nil {
		vs = append(vs, AsViolations(err)...)
		if AsViolations(err) == nil {
			vs.add(id, kase, "the event to run", clients.DescribeErr(err), "")
		}
	}
	if !bystander("after the event", "bystander after", id) && len(vs) > 0 && strings.HasPrefix(vs[len(vs)-1].Observed, `reply ""`) && repliesGoElsewhere(ctx, e) {
		// The bystander's reply went to another connection: not the
		// event's doing, but the server's mixing up of connections.
		last := vs[len(vs)-1]
		last.ID = string(ReqTCPIsolation)
		last.Observed += "; and without any event, the reply to an open connection's request arrives on a connection opened after it"
	}
	// The bystander goes before the new connection is tried: a server
	// that serves one connection at a time serves it then.
	by.Close()
	if err := probeTCP(ctx, e); err != nil {
		vs.add(probeID(id, err), kase, "a new connection served after the event", err.Error(), "new connection")
	}
	return vs.Err()
}

// repliesGoElsewhere reports whether, with two connections served, the
// first one's next request is answered on the second: replies sent to the
// wrong connection (TCP-ISOLATION).
func repliesGoElsewhere(ctx context.Context, e Env) bool {
	dial := func() *clients.TCPConn {
		dctx, cancel := e.within(ctx, DialTimeout)
		defer cancel()
		c, err := clients.DialTCP(dctx, e.TCP)
		if err != nil {
			return nil
		}
		return c
	}
	first := dial()
	if first == nil {
		return false
	}
	defer first.Close()
	rctx, cancel := context.WithTimeout(ctx, e.wait(NoRoundTrip))
	got, err := first.RoundTrip(rctx, []byte("first"))
	cancel()
	if err != nil || string(got) != "FIRST" {
		return false
	}
	second := dial()
	if second == nil {
		return false
	}
	defer second.Close()
	// The second connection is served too, so the server has it.
	rctx, cancel = context.WithTimeout(ctx, e.wait(NoRoundTrip))
	got, err = second.RoundTrip(rctx, []byte("second"))
	cancel()
	if err != nil || string(got) != "SECOND" {
		return false
	}
	msg := []byte("whose reply")
	wctx, cancel := context.WithTimeout(ctx, e.T(knownWait))
	defer cancel()
	if err := first.Write(wctx, msg); err != nil {
		return false
	}
	if got, err := first.ReadFull(wctx, len(msg)); err == nil && bytes.Equal(got, Upper(msg)) {
		return false
	}
	sctx, cancel := context.WithTimeout(ctx, e.T(knownWait))
	defer cancel()
	got, err = second.ReadFull(sctx, len(msg))
	return err == nil && bytes.Equal(got, Upper(msg))
}

// ConcurrentParams size a TCP-CONCURRENT case.
type ConcurrentParams struct {
	// Idle clients connect and stay silent until the slow ones are done.
	Idle int
	// Slow clients each send BytesEach bytes one at a time, waiting for
	// each reply and pausing Pause (before Env.Scale) after it.
	Slow, BytesEach int
	Pause           time.Duration
}

// TCPConcurrent checks TCP-CONCURRENT: p.Idle clients connect and hold their
// connections silent, and p.Slow clients each send one byte at a time with
// pauses, waiting for each reply; every slow client must be answered while
// the idle ones wait. A server that serves one connection at a time never
// answers the slow clients while the idle ones are open.
func TCPConcurrent(ctx context.Context, e Env, p ConcurrentParams) error {
	pause := e.T(p.Pause)
	script := TCPScript{ID: string(ReqTCPConcurrent), Case: fmt.Sprintf("%d idle and %d slow clients", p.Idle, p.Slow)}
	for range p.Idle {
		// An idle client: it waits in a Pause that outlasts the slow
		// clients, then checks it is still served.
		script.Conns = append(script.Conns, TCPConnScript{Steps: []TCPStep{
			{Op: Pause, Pause: time.Duration(p.BytesEach+1) * pause},
			{Op: Write, Data: []byte("idle")}, {Op: Read}, {Op: HalfClose},
		}})
	}
	for i := range p.Slow {
		msg := clients.Payload(i, p.BytesEach)
		var steps []TCPStep
		for j := range msg {
			steps = append(steps, TCPStep{Op: Write, Data: msg[j : j+1]}, TCPStep{Op: Read}, TCPStep{Op: Pause, Pause: pause})
		}
		steps = append(steps, TCPStep{Op: HalfClose})
		script.Conns = append(script.Conns, TCPConnScript{Steps: steps, NoDelay: true})
	}
	return RunTCP(ctx, e, script)
}

// IsolationParams size a TCP-ISOLATION case.
type IsolationParams struct {
	// Clients connect at once, each writing a unique payload of Size bytes.
	Clients, Size int
	// Seed draws each client's write sizes.
	Seed uint64
}

// TCPIsolation checks TCP-ISOLATION: p.Clients clients at once each write a
// unique payload of p.Size bytes in random chunks and must get back exactly
// its uppercase, never another client's bytes.
func TCPIsolation(ctx context.Context, e Env, p IsolationParams) error {
	script := TCPScript{ID: string(ReqTCPIsolation), Case: fmt.Sprintf("%d clients x %d bytes, seed %d", p.Clients, p.Size, p.Seed)}
	for i := range p.Clients {
		script.Conns = append(script.Conns, TCPConnScript{Steps: []TCPStep{
			{Op: Write, Data: clients.Payload(i, p.Size), Chunks: RandomChunks(p.Seed+uint64(i), 8, 2048)},
			{Op: HalfClose},
		}})
	}
	return RunTCP(ctx, e, script)
}

// ChurnParams size a TCP-CHURN case.
type ChurnParams struct {
	// Sequential short connections come first, one after another.
	Sequential int
	// Overlapping connections follow, at most Parallel open at once.
	Overlapping, Parallel int
	// ResetEvery makes every ResetEvery-th connection end in a reset
	// instead of a half-close; 0 resets none.
	ResetEvery int
}

// TCPChurn checks TCP-CHURN: p.Sequential short connections (write,
// half-close, read to EOF), then p.Overlapping ones with at most p.Parallel
// open at once, every p.ResetEvery-th of them ending in a reset instead;
// every one must be accepted and answered, and the server must still answer
// afterwards.
func TCPChurn(ctx context.Context, e Env, p ChurnParams) error {
	sequential, overlapping, parallel, resetEvery := p.Sequential, p.Overlapping, p.Parallel, p.ResetEvery
	kase := fmt.Sprintf("%d sequential and %d overlapping connections", sequential, overlapping)
	var vs Violations
	// Once an earlier check saw the server hold connections open after
	// their replies, or leave a half-closed one unanswered, each
	// connection waits only briefly for its EOF: that fault is TCP-EOF's,
	// confirmed already, and waiting it out 2,500 times would outlast the
	// case.
	eofKnown := e.Findings.Has(NoEOF) || e.Findings.Has(Unanswered)
	// Every connection's expected reply, to tell another connection's
	// bytes from wrong ones.
	churnWants := sync.OnceValue(func() [][]byte {
		wants := make([][]byte, sequential+overlapping)
		for i := range wants {
			wants[i] = Upper(clients.Payload(i, 24))
		}
		return wants
	})
	one := func(ctx context.Context, i int) error {
		outer := ctx
		msg := clients.Payload(i, 24)
		c, err := e.dialTCP(ctx)
		if err != nil {
			return &Violation{ID: string(ReqTCPChurn), Case: kase, Expected: "every connection accepted", Observed: "connect failed: " + clients.DescribeErr(err), Where: fmt.Sprintf("connection %d", i)}
		}
		defer c.Close()
		wait := e.T(ReplyTimeout)
		if eofKnown {
			wait = e.T(knownWait)
		}
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if resetEvery > 0 && i%resetEvery == resetEvery-1 {
			if err := c.Write(ctx, msg); err != nil {
				return &Violation{ID: string(ReqTCPChurn), Case: kase, Expected: "every write accepted", Observed: "write failed: " + clients.DescribeErr(err), Where: fmt.Sprintf("connection %d", i)}
			}
			return c.Reset()
		}
		res := c.Exchange(ctx, msg, nil, len(msg)+extraCap)
		if want := Upper(msg); firstDiff(want, res.Data) >= 0 && firstDiff(want, res.Data) < len(res.Data) {
			// Wrong bytes break the rule their kind of difference
			// breaks: another connection's reply is TCP-ISOLATION's.
			d := firstDiff(want, res.Data)
			id, observed := classifyWrong(msg, want, res.Data, d, churnWants(), i)
			return &Violation{ID: id, Case: kase, Expected: "upper(request), " + nBytes(len(want)), Observed: observed, Where: connWhere(i, -1, DiffBytes(want, res.Data))}
		}
		if want := Upper(msg); !bytes.Equal(res.Data, want) || res.End != clients.EndEOF {
			obs := fmt.Sprintf("%d reply bytes, then %s", len(res.Data), res.End)
			where := fmt.Sprintf("connection %d", i)
			if d := DiffBytes(want, res.Data); d != "" {
				where += ", " + d
			} else {
				where += fmt.Sprintf(", after %d reply bytes", len(res.Data))
			}
			id := string(ReqTCPChurn)
			// A whole reply without its orderly EOF, or silence that a
			// confirmed TCP-EOF fault explains, is TCP-EOF's.
			complete := bytes.Equal(res.Data, want)
			if complete && (res.End == clients.EndTimeout || res.End == clients.EndReset) ||
				eofKnown && res.End == clients.EndTimeout && bytes.HasPrefix(want, res.Data) {
				id = string(ReqTCPEOF)
			}
			// Part of the reply, then the end of the stream: lost at
			// the end, TCP-EOF's, when a client that waits for it
			// without half-closing gets it whole (the server serves new
			// connections and answers them).
			if !complete && (res.End == clients.EndEOF || res.End == clients.EndReset) && bytes.HasPrefix(want, res.Data) &&
				replayRoundTrip(outer, e, msg) {
				id = string(ReqTCPEOF)
				obs += " (a new connection that waited for the same request's reply, without half-closing, got it whole: lost at the end of the stream)"
			}
			return &Violation{ID: id, Case: kase, Expected: fmt.Sprintf("all %d reply bytes, then EOF", len(want)), Observed: obs, Where: where}
		}
		return nil
	}
	var seqFailures atomic.Int32
	for i := range sequential {
		if err := one(ctx, i); err != nil {
			vs = append(vs, AsViolations(err)...)
			if seqFailures.Add(1) >= 3 {
				return vs.Err()
			}
		}
		if ctx.Err() != nil {
			vs.add(string(ReqTCPChurn), kase, "the sequential connections to finish in time", fmt.Sprintf("stopped after %d", i), "")
			return vs.Err()
		}
	}
	// As in the sequential phase, three failures are enough: a server that
	// hangs would otherwise make every remaining connection wait out its
	// timeout, and the check outlive its spec.
	var overFailures atomic.Int32
	err := clients.Concurrently(ctx, overlapping, parallel, func(ctx context.Context, i int) error {
		if overFailures.Load() >= 3 {
			return nil
		}
		err := one(ctx, sequential+i)
		if err != nil {
			overFailures.Add(1)
		}
		return err
	})
	if found := AsViolations(err); len(found) > 0 {
		vs = append(vs, found[:min(len(found), 3)]...)
	} else if err != nil {
		vs.add(string(ReqTCPChurn), kase, "every overlapping connection served", clients.DescribeErr(err), "")
	}
	if err := probeTCP(ctx, e); err != nil {
		vs.add(probeID(string(ReqTCPChurn), err), kase, "a new connection served after the churn", err.Error(), "new connection")
	}
	return vs.Err()
}

// TCPEmptyWrite observes TCP-EMPTYWRITE (INFO): a zero-length write puts
// nothing on the wire, so the server has nothing to answer; the next
// message's reply must be exactly its own. It explains the seed client's
// `if len(msg) == 0: continue`: a client that sent b” and waited in
// recv(1024) for an answer would wait forever.
func TCPEmptyWrite(ctx context.Context, e Env) error {
	return RunTCP(ctx, e, TCPScript{ID: string(ReqTCPEmptyWrite), Case: "zero-length write, then \"x\"", Conns: []TCPConnScript{{Steps: []TCPStep{
		{Op: Write, Data: []byte{}}, {Op: Write, Data: []byte("x")}, {Op: Read}, {Op: HalfClose},
	}}}})
}
