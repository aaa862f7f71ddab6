package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// readerLife bounds a scripted connection's reader, before Env.Scale.
const readerLife = 10 * time.Minute

// extraCap is how many bytes beyond the expected reply a connection keeps
// reading, to see a server that sends too much without letting one that
// sends forever exhaust memory.
const extraCap = 64 << 10

// RunTCP runs s against e.TCP and returns every violation it observed, or nil.
func RunTCP(ctx context.Context, e Env, s TCPScript) error {
	if e.TCP == "" {
		return errors.New("check: no TCP address to check")
	}
	s.known = e.Findings.Has
	obs, vs := dialAndRun(ctx, e, s, nil)
	if len(vs) > 0 {
		return vs.Err()
	}
	s.served = s.beside || anyServed(obs) || s.concurrent() && silent(obs) && loneRoundTrip(ctx, e)
	s.midStream = lostMidStream(ctx, e, obs, nil)
	vs = judgeTCP(s, obs)
	for _, f := range tcpFindings(s, obs, vs) {
		e.Findings.Note(f)
	}
	if !s.SkipFinalProbe && len(vs) == 0 {
		if err := probeTCP(ctx, e); err != nil {
			vs = append(vs, judgeFinalProbe(s, s.endingID(), err)...)
		}
	}
	return vs.Err()
}

// tcpGroup is what the connections of one script share: how far the
// server has got with all of them. While it serves any of them, none is
// judged silent: among several connections, only the server's silence
// towards every one of them for T counts.
type tcpGroup struct {
	concurrent bool
	useful     atomic.Int64 // useful reply bytes of every connection
}

// acceptStall is how long, before Env.Scale, a connect of a script may
// wait while the script's earlier connections are open and not yet
// started, before dialAndRun starts them.
const acceptStall = time.Second

// dialAndRun dials s's connections one at a time, runs them all at once,
// and returns what each observed (nil for a connection not made), or the
// violation of the first connect that failed. A failed connect that
// excused (nil: none) excuses leaves that connection out.
//
// Dials go one at a time: a burst of connects against a small listen
// backlog stalls on SYN retransmits, which is not what is checked. The
// runs start when every connection is open, so that all of them are in
// flight together, unless a connect is not accepted within acceptStall
// first: a server that serves a bounded number of connections at once
// (socketserver's ForkingTCPServer: 40 children) accepts no more until
// one ends, so the connections already open start then, and each later
// one as soon as it is open. How many a server must hold open at once is
// TCP-CONCURRENT's rule, judged by its own specs with idle clients.
func dialAndRun(ctx context.Context, e Env, s TCPScript, excused func(i int, err error) bool) ([]*tcpConnObs, Violations) {
	runs := make([]*tcpRun, len(s.Conns))
	g := &tcpGroup{concurrent: s.concurrent()}
	var wg sync.WaitGroup
	started := 0 // runs[:started] are under way
	startTo := func(n int) {
		for ; started < n; started++ {
			if r := runs[started]; r != nil {
				wg.Go(func() { r.run(ctx) })
			}
		}
	}
	defer func() {
		abortAll(runs)
		wg.Wait()
	}()
	for i, cs := range s.Conns {
		// Connections opened before this one and not yet started wait
		// for it only acceptStall.
		waiting := started == 0 && i > 0
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if waiting {
			dctx, cancel = e.within(ctx, acceptStall)
		}
		r, err := dialRun(dctx, e, i, cs)
		cancel()
		if waiting && err != nil && ctx.Err() == nil && clients.EndOf(err) == clients.EndTimeout {
			e.logf("tcp conn %d: not accepted within %v, %d open: starting them", i, e.T(acceptStall), i)
			startTo(i)
			r, err = dialRun(ctx, e, i, cs)
		}
		switch {
		case err == nil:
			r.group = g
			runs[i] = r
		case excused != nil && excused(i, err):
		default:
			return nil, judgeConnect(s, i, err)
		}
		if started > 0 {
			startTo(i + 1)
		}
	}
	startTo(len(runs))
	wg.Wait()
	obs := make([]*tcpConnObs, len(runs))
	for i, r := range runs {
		if r != nil {
			obs[i] = r.observation()
		}
	}
	return obs, nil
}

// abortAll closes every connection of runs that is still open.
func abortAll(runs []*tcpRun) {
	for _, r := range runs {
		if r != nil {
			r.abort()
		}
	}
}

// probeTCP checks that a new connection is accepted and gets "a" answered
// with "A": it writes "a", waits briefly for the reply, then half-closes,
// so that a server that answers only whole lines or at the end of the
// stream is served too, and it needs no EOF. The probe asks only that the
// server still serves: a reply byte that is not "A" shows it does, and is
// left to the rules about content (TCP-BYTES), which their own specs
// judge. Its error is a *probeError.
func probeTCP(ctx context.Context, e Env) error {
	ctx, cancel := e.within(ctx, DialTimeout+ReplyTimeout)
	defer cancel()
	c, err := clients.DialTCP(ctx, e.TCP)
	if err != nil {
		return &probeError{text: fmt.Sprintf("connect failed: %s", clients.DescribeErr(err))}
	}
	defer c.Close()
	if err := c.Write(ctx, []byte("a")); err != nil {
		return &probeError{text: fmt.Sprintf("write failed: %s", clients.DescribeErr(err))}
	}
	// A server that answers at once needs no half-close; one that closes
	// the connection before it is asked to is not serving it.
	early, cancelEarly := context.WithTimeout(ctx, e.T(probeBeforeHalfClose))
	got, err := c.ReadFull(early, 1)
	cancelEarly()
	switch {
	case err == nil:
		return nil
	case clients.EndOf(err) != clients.EndTimeout:
		return &probeError{text: fmt.Sprintf("no reply to \"a\": %s after %d bytes, before the client's half-close", clients.DescribeErr(err), len(got))}
	}
	if err := c.CloseWrite(); err != nil {
		return &probeError{text: fmt.Sprintf("half-close failed: %s", clients.DescribeErr(err))}
	}
	got, err = c.ReadFull(ctx, 1)
	if err != nil {
		return &probeError{text: fmt.Sprintf("no reply to \"a\": %s after %d bytes", clients.DescribeErr(err), len(got)),
			lostAtEOF: clients.EndOf(err) != clients.EndTimeout}
	}
	return nil
}

// probeBeforeHalfClose is how long, before Env.Scale, probeTCP waits for
// the reply to "a" before it half-closes.
const probeBeforeHalfClose = 100 * time.Millisecond

// probeError is how a probe of a new connection failed.
type probeError struct {
	text string
	// lostAtEOF says the connection ended, by an orderly close or a
	// reset, after the client's half-close and without the reply: the
	// server served the connection, and lost its reply at the end of the
	// stream, which breaks TCP-EOF.
	lostAtEOF bool
}

func (p *probeError) Error() string { return p.text }

// probeID is the requirement a failed probe breaks, when id is the rule
// the probe checks (a new connection served): TCP-EOF when the reply was
// lost at the end of the stream, id otherwise.
func probeID(id string, err error) string {
	var p *probeError
	if errors.As(err, &p) && p.lostAtEOF {
		return string(ReqTCPEOF)
	}
	return id
}

// lostMidStream replays the request of the first connection of obs that
// half-closed and got part of its reply, then the end of the stream, on a
// new connection that waits for its reply without half-closing: when that
// one does not get its whole reply either, the bytes were lost in the
// stream, not at its end. Connections skip names (nil: none) are left out.
func lostMidStream(ctx context.Context, e Env, obs []*tcpConnObs, skip func(int) bool) bool {
	for i, o := range obs {
		if o == nil || skip != nil && skip(i) || !o.shortAtEnd() {
			continue
		}
		return !replayRoundTrip(ctx, e, o.sent)
	}
	return false
}

// shortAtEnd reports whether the connection half-closed (or found the
// connection reset when it came to), wrote all it was to, and got a right
// but incomplete reply before its stream ended.
func (o *tcpConnObs) shortAtEnd() bool {
	want := Upper(o.sent)
	return o.script.terminal() == HalfClose && (o.writeErr == nil || o.halfCloseFoundReset()) && o.stall == nil && !o.noEOF &&
		len(o.got) < len(want) && bytes.HasPrefix(want, o.got)
}

// replayRoundTrip reports whether a new connection that writes msg, reading
// meanwhile, and waits without half-closing gets upper(msg) back.
func replayRoundTrip(ctx context.Context, e Env, msg []byte) bool {
	c, err := e.dialTCP(ctx)
	if err != nil {
		return false
	}
	defer c.Close()
	// The wait starts afresh with each byte of the reply, as a
	// script's does.
	want := Upper(msg)
	wrote := make(chan error, 1)
	go func() {
		wctx, cancel := e.within(ctx, ReplyTimeout+time.Duration(len(msg)>>20)*ReplyTimeout)
		defer cancel()
		wrote <- c.Write(wctx, msg)
	}()
	var got []byte
	for len(got) < len(want) {
		rctx, cancel := context.WithTimeout(ctx, e.wait(NoRoundTrip))
		b, err := c.ReadFull(rctx, min(len(want)-len(got), 64<<10))
		cancel()
		got = append(got, b...)
		if err != nil {
			break
		}
	}
	c.Close()
	<-wrote
	e.logf("tcp replay of a %d-byte request without the half-close: %d reply bytes", len(msg), len(got))
	return bytes.Equal(got, want)
}

// loneRoundTrip reports whether a new connection, alone, gets "a" answered
// with "A" while it stays open: after several connections got no reply at
// all, it tells a server that answers one connection at a time from one
// that answers no round trip.
func loneRoundTrip(ctx context.Context, e Env) bool {
	c, err := e.dialTCP(ctx)
	if err != nil {
		return false
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, e.wait(NoRoundTrip))
	defer cancel()
	got, err := c.RoundTrip(ctx, []byte("a"))
	return err == nil && string(got) == "A"
}

// SettleTCP waits, bounded, until the server answers a fresh connection
// promptly: until the connections of the checks before are done with on
// the server's side, as far as a client can tell. A heavy check run after
// others then finds the server as it would alone. It never fails: a
// server that stays slow is left to the check.
func SettleTCP(ctx context.Context, e Env) {
	if e.TCP == "" {
		return
	}
	ctx, cancel := e.within(ctx, settleLimit)
	defer cancel()
	for ctx.Err() == nil {
		start := time.Now()
		if probeTCP(ctx, e) == nil && time.Since(start) < e.T(settlePrompt) {
			return
		}
		clients.Sleep(ctx, e.T(settlePrompt))
	}
	e.logf("tcp: server not settled within %s", e.T(settleLimit))
}

// How SettleTCP waits, before Env.Scale: a round trip within settlePrompt
// is prompt; settleLimit bounds the whole wait.
const (
	settlePrompt = 200 * time.Millisecond
	settleLimit  = 5 * time.Second
)

// tcpRun is one scripted connection in progress: the script, what it has
// sent, and a reader that keeps everything the server sends (up to a cap).
// What it observes is a tcpConnObs, which the judge reads when it is done.
type tcpRun struct {
	e    Env
	idx  int
	conn *clients.TCPConn

	// mu guards the reader's part of the observation (got, end, endErr)
	// and total while the reader runs.
	mu sync.Mutex
	tcpConnObs
	total    int64
	progress chan struct{} // a value after each read that got data
	done     chan struct{} // closed when the reader stops

	// planned is the reply the whole script is owed, upper(every byte it
	// writes); useful is how much of it has arrived, in order, before any
	// wrong or extra byte. Only useful bytes count as progress: a server
	// that trickles wrong bytes forever must not keep the script waiting.
	planned []byte
	useful  int
	// group is shared by the connections of the script.
	group *tcpGroup
}

func dialRun(ctx context.Context, e Env, idx int, cs TCPConnScript) (*tcpRun, error) {
	c, err := e.dialTCP(ctx)
	if err != nil {
		return nil, err
	}
	c.SetNoDelay(cs.NoDelay)
	e.logf("tcp conn %d: %s -> %s", idx, c.Conn.LocalAddr(), c.Conn.RemoteAddr())
	return &tcpRun{e: e, idx: idx, conn: c, tcpConnObs: tcpConnObs{script: cs, writeStep: -1},
		progress: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// observation returns what the connection observed; the run must be over.
func (r *tcpRun) observation() *tcpConnObs {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.tcpConnObs
	return &o
}

// read keeps everything the server sends until the stream ends or the cap
// is passed.
func (r *tcpRun) read(ctx context.Context, limit int) {
	defer close(r.done)
	res := r.conn.ReadToEndFunc(ctx, limit, func(p []byte) {
		r.mu.Lock()
		if r.useful == len(r.got) {
			n := commonPrefix(p, r.planned[r.useful:])
			r.useful += n
			if r.group != nil {
				r.group.useful.Add(int64(n))
			}
		}
		r.got = append(r.got, p...)
		r.total += int64(len(p))
		r.mu.Unlock()
		select {
		case r.progress <- struct{}{}:
		default:
		}
	})
	r.mu.Lock()
	r.end, r.endErr = res.End, res.Err
	r.total = res.Total
	r.mu.Unlock()
}

// waitFor waits until cond holds, as long as the reply keeps coming: it
// gives up after a wait without a further byte of the reply owed (see
// tcpRun.useful), and, among several connections, without a further byte
// for any of them. The wait is T, or short for a silence that a confirmed
// finding f already explains (see Findings): NoEOF once the whole reply
// is in, Unanswered while none of it is, NoRoundTrip on an open
// connection. It reports whether cond held.
func (r *tcpRun) waitFor(ctx context.Context, f Finding, cond func(total int64, ended bool) bool) bool {
	idle := func() time.Duration {
		r.mu.Lock()
		useful := r.useful
		r.mu.Unlock()
		short := false
		switch f {
		case NoEOF:
			short = useful >= len(r.planned) && r.e.Findings.Has(NoEOF) ||
				useful == 0 && r.e.Findings.Has(Unanswered)
		case NoRoundTrip:
			short = r.e.Findings.Has(NoRoundTrip) || r.group != nil && r.group.concurrent && r.e.Findings.Has(NotConcurrent)
		}
		if short {
			return r.e.T(knownWait)
		}
		return r.e.T(ReplyTimeout)
	}
	timer := time.NewTimer(idle())
	defer timer.Stop()
	useful := -1
	var others int64
	if r.group != nil {
		others = r.group.useful.Load()
	}
	for {
		r.mu.Lock()
		total := r.total
		progressed := r.useful > useful
		useful = max(useful, r.useful)
		r.mu.Unlock()
		if progressed {
			// Another byte of the reply: the wait starts afresh.
			timer.Reset(idle())
		}
		ended := r.ended()
		if cond(total, ended) {
			return true
		}
		if ended {
			return false
		}
		select {
		case <-r.progress:
		case <-r.done:
		case <-timer.C:
			if r.group != nil && r.group.concurrent {
				if n := r.group.useful.Load(); n > others {
					// The server is busy with the others: this
					// connection's turn may come.
					others = n
					timer.Reset(idle())
					continue
				}
			}
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// ended reports whether the reader has stopped.
func (r *tcpRun) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// run executes the script, then ends the connection.
func (r *tcpRun) run(ctx context.Context) {
	r.planned = Upper(r.script.sentBytes())
	limit := len(r.planned) + extraCap
	// The reader lives as long as the script: run cancels it when the
	// script ends, and every wait of the script is bounded by progress.
	// readerLife only backs that up, and keeps the clients' unscaled
	// default from ending a long script's reads when ctx has no deadline.
	rctx, cancelRead := context.WithTimeout(ctx, r.e.T(readerLife))
	defer cancelRead()
	go r.read(rctx, limit)
	defer func() {
		r.conn.Close()
		cancelRead()
		<-r.done
	}()
	for i, st := range r.script.Steps {
		if !r.step(ctx, i, st) {
			return
		}
	}
	// No ending step: wait for every reply, then close.
	r.awaitReply(ctx, len(r.script.Steps))
}

// step takes step i of the script, st, and reports whether the script goes
// on.
func (r *tcpRun) step(ctx context.Context, i int, st TCPStep) bool {
	switch st.Op {
	case Write:
		return r.writeData(ctx, i, st)
	case Pause:
		return clients.Sleep(ctx, st.Pause) == nil
	case Read:
		return r.awaitReply(ctx, i)
	case HalfClose:
		r.halfClose(ctx, i)
		return false
	case Reset:
		r.conn.Reset()
		return false
	case Close:
		r.conn.Close()
		return false
	}
	return true
}

// writeData writes st, step i, and reports whether every byte went out.
func (r *tcpRun) writeData(ctx context.Context, i int, st TCPStep) bool {
	n, err := r.write(ctx, st)
	// Count what reached the socket even when the write failed part-way:
	// the server may well have answered it.
	r.sent = append(r.sent, st.Data[:n]...)
	if err != nil {
		r.writeErr, r.writeStep = err, i
		r.settle(ctx, err)
		return false
	}
	return true
}

// awaitReply waits, at step i, until every byte written so far has come
// back, and notes a stall when it does not. It reports whether it came.
func (r *tcpRun) awaitReply(ctx context.Context, i int) bool {
	want := int64(len(r.sent))
	if r.waitFor(ctx, NoRoundTrip, func(total int64, _ bool) bool { return total >= want }) {
		return true
	}
	r.mu.Lock()
	r.stall = &tcpStall{step: i, want: want, total: r.total, ended: r.ended()}
	r.mu.Unlock()
	return false
}

// halfClose shuts down the write side at step i and waits for the stream to
// end.
func (r *tcpRun) halfClose(ctx context.Context, i int) {
	if err := r.conn.CloseWrite(); err != nil {
		r.writeErr, r.writeStep = err, i
		r.settle(ctx, err)
		return
	}
	r.noEOF = !r.waitFor(ctx, NoEOF, func(_ int64, ended bool) bool { return ended })
}

// settle lets the reader take the bytes that arrived before a reset, when
// err says a write or the half-close found the connection reset: closing
// it at once could throw them away before the reader got to them. The
// connection is gone, so the reader ends as soon as it has them.
func (r *tcpRun) settle(ctx context.Context, err error) {
	if isResetErr(err) {
		r.waitFor(ctx, "", func(_ int64, ended bool) bool { return ended })
	}
}

// write sends st.Data in chunks whose sizes cycle through st.Chunks, with
// st.Pause between them. Each chunk has ReplyTimeout to go out, so a long
// slow write is bounded by its progress and by ctx, not by a guess of its
// total time. It returns how many bytes were written.
func (r *tcpRun) write(ctx context.Context, st TCPStep) (int, error) {
	stop := context.AfterFunc(ctx, func() { r.conn.Conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	sizes := st.Chunks
	if len(sizes) == 0 {
		sizes = []int{max(len(st.Data), 1)}
	}
	if len(st.Data) == 0 {
		// A zero-length write is a real write(2) of nothing, as the
		// seed's client would make with msg = '': TCP sends no segment.
		r.conn.Conn.SetWriteDeadline(time.Now().Add(r.e.T(ReplyTimeout)))
		_, err := r.conn.Conn.Write(st.Data)
		return 0, err
	}
	written := 0
	for k := 0; written < len(st.Data); k++ {
		if k > 0 && st.Pause > 0 {
			if err := clients.Sleep(ctx, st.Pause); err != nil {
				return written, err
			}
		}
		end := min(len(st.Data), written+max(1, sizes[k%len(sizes)]))
		if ctx.Err() != nil {
			return written, ctx.Err()
		}
		// ReplyTimeout, plus a second per MiB: one large write goes out
		// only as fast as the server reads it.
		r.conn.Conn.SetWriteDeadline(time.Now().Add(r.e.T(ReplyTimeout + time.Duration(end-written)*time.Second/(1<<20))))
		n, err := r.conn.Conn.Write(st.Data[written:end])
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// abort closes the connection if it is still open.
func (r *tcpRun) abort() { r.conn.Close() }
