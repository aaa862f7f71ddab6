package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// RunUDP runs s against e.UDP and returns every violation it observed, or nil.
func RunUDP(ctx context.Context, e Env, s UDPScript) error {
	if e.UDP == "" {
		return errors.New("check: no UDP address to check")
	}
	return runUDP(ctx, e, s, nil)
}

// runUDP runs s against e.UDP, its sockets sending through the network n
// (nil: straight to the server), and returns every violation it observed.
func runUDP(ctx context.Context, e Env, s UDPScript, n *udpNet) error {
	start := time.Now()
	via := e
	if n != nil {
		// The sockets send to the proxy; what it drops is no sign of a
		// silent server.
		via.UDP, via.Silence = n.p.Addr(), nil
	}
	runs := make([]*udpRun, len(s.Sockets))
	defer func() {
		for _, r := range runs {
			if r != nil {
				r.close()
			}
		}
	}()
	keep := udpKeep(s)
	markers := udpMarkers(s, e.udpMax())
	for i, ss := range s.Sockets {
		r, err := openUDPRun(ctx, via, i, ss, keep, n != nil)
		if err != nil {
			return fmt.Errorf("check: opening UDP socket %d: %s", i, clients.DescribeErr(err))
		}
		r.patient = len(s.Sockets) > patientSockets
		r.markers = markers
		if n != nil {
			r.loss = n.lossOf(r.local())
		}
		runs[i] = r
	}
	obs := exchangeAll(ctx, runs)
	e.logf("udp script %q: %d sockets exchanged in %v", s.Case, len(runs), time.Since(start).Round(time.Millisecond))
	if n != nil {
		attachNet(obs, runs, n.finish(e.Logf))
	}
	if err := ctxDone(ctx); err != nil {
		// An unfinished exchange says nothing about the server.
		return fmt.Errorf("check: UDP script interrupted: %w", err)
	}
	if answered, spent := obs.silence(); n == nil && (answered || spent) {
		e.Silence.note(e.UDP, answered)
	}
	if needsSourceProbe(s, e.udpMax(), obs) {
		// Connected sockets went unanswered and no unconnected socket saw
		// where replies come from: ask one, since replies from another
		// address are exactly what a connected socket never sees.
		if src, err := replySource(ctx, e); err == nil {
			obs.probedSource = src
		}
	}
	if n == nil && obs.needsEmptyFollowUp() && !e.Silence.UDPSilent(e.UDP) {
		// Whether the server answers a fresh socket's "a" tells a
		// server that ignores empty datagrams from one that is not
		// answering at all, whatever spec ran before.
		obs.newSocketSilent = probeUDP(ctx, e, "a", UDPTries*UDPTry) != nil && ctx.Err() == nil
	}
	vs := judgeUDP(s, e.udpMax(), obs)
	if !s.SkipFinalProbe && len(vs) == 0 {
		if err := probeUDP(ctx, e, "a", UDPTries*UDPTry); err != nil {
			vs = append(vs, judgeUDPFinalProbe(s, err)...)
		}
	}
	return vs.Err()
}

// udpKeep is how much of a datagram a socket of s keeps. No reply may be
// longer than the script's longest request. A socket keeps a little more
// of a datagram than that, so that a damaged reply a few bytes too long (a
// byte mapped to a 3-byte UTF-8 sequence, say) is seen whole and judged for
// its bytes; anything longer is kept cut short and marked: a server that
// floods large datagrams cannot make the receivers hold much more than
// their count of requests' worth.
func udpKeep(s UDPScript) int {
	keep := 0
	for _, ss := range s.Sockets {
		for _, d := range ss.Datagrams {
			keep = max(keep, min(len(d), MaxUDPPayload))
		}
	}
	return min(MaxUDPPayload, keep+keep/8+64)
}

// exchangeAll runs every socket's exchange at once, then lets every socket
// listen for a Quiet period (or end on its marker: see settle), and returns
// what they observed.
func exchangeAll(ctx context.Context, runs []*udpRun) udpObs {
	all := make([][][]byte, len(runs))
	for i, r := range runs {
		all[i] = r.wants
	}
	wants := indexWants(all)
	elsewhere := &udpElsewhere{seen: map[udpLoc]bool{}}
	for _, r := range runs {
		r.all, r.elsewhere = wants, elsewhere
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() { r.run(ctx) })
	}
	wg.Wait()
	for _, r := range runs {
		wg.Go(func() { r.settle(ctx) })
	}
	wg.Wait()
	var obs udpObs
	for _, r := range runs {
		r.stop()
		obs.sockets = append(obs.sockets, &r.udpSocketObs)
	}
	return obs
}

// ctxDone returns ctx's error, or context.DeadlineExceeded once ctx's
// deadline has passed though its timer has not fired yet: a child context
// with the same deadline can end first.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// udpRun is one scripted socket in progress. What it observes is a
// udpSocketObs, which the judge reads when it is done.
type udpRun struct {
	e      Env
	idx    int
	script UDPSocketScript
	wants  [][]byte // the reply each request must get
	groups udpGroups
	conn   *clients.UDPConn
	recv   *clients.Receiver
	all    map[string][]udpLoc // every socket's expected replies
	// elsewhere holds the requests whose reply another socket of the
	// script received: no try of this socket can bring it.
	elsewhere *udpElsewhere
	// maxTries is how many times a datagram is sent: UDPTries, fewer to
	// a server seen silent (Silence).
	maxTries int
	// patient: the script loads the server with many sockets at once, so
	// later tries wait longer (tryWait).
	patient bool
	// markers are the script's end markers, one per socket, or nil when
	// the script listens for a Quiet period instead (udpMarkers).
	markers [][]byte
	// loss, through a faulty network, reports the datagrams it drops, so
	// that they are sent again at once (repairLoss); nil without one.
	loss *udpLoss
	// sendMu guards the counts of tries and sends, and netResends.
	sendMu     sync.Mutex
	netResends []int // per request: sends again after a drop

	udpSocketObs

	mu     sync.Mutex
	live   []int // matching replies counted per group while the script runs
	seen   int   // received datagrams counted into live
	strays int   // received datagrams that are no expected reply
}

func openUDPRun(ctx context.Context, e Env, idx int, ss UDPSocketScript, keep int, proxied bool) (*udpRun, error) {
	var c *clients.UDPConn
	var err error
	if ss.Connected {
		dctx, cancel := e.within(ctx, DialTimeout)
		c, err = clients.DialUDP(dctx, e.UDP)
		cancel()
	} else {
		c, err = clients.ListenUDP(e.UDP)
	}
	if err != nil {
		return nil, err
	}
	n := len(ss.Datagrams)
	r := &udpRun{
		e: e, idx: idx, script: ss, conn: c, wants: make([][]byte, n), maxTries: e.Silence.udpTries(e.UDP),
		udpSocketObs: udpSocketObs{connected: ss.Connected, server: c.Remote,
			reqs: make([][]byte, n), tries: make([]int, n), sends: make([]int, n)},
		netResends: make([]int, n),
	}
	for k, d := range ss.Datagrams {
		if len(d) > MaxUDPPayload {
			d = d[:MaxUDPPayload]
		}
		r.reqs[k] = d
		r.wants[k] = udpWant(d, e.udpMax())
	}
	r.groups = groupRequests(r.wants)
	r.live = make([]int, r.groups.n)
	// Keep every reply a conforming server could send (one per try) and
	// some extras to show a misbehaving one; count the rest.
	limit := UDPTries*n + 64
	if proxied {
		// Through a network, a request is also sent again after each drop,
		// and any datagram may come twice.
		limit = 2*(UDPTries+maxNetResends)*n + 64
	}
	r.recv = clients.NewReceiver(c, keep, limit)
	e.logf("udp socket %d (connected %v): %s -> %s, %d datagrams", idx, ss.Connected, c.Conn.LocalAddr(), c.Remote, n)
	return r, nil
}

// absorb counts the datagrams received since the last call: a reply one
// of the socket's requests expects counts for its group; one that is no
// socket's expected reply is a stray, a damaged reply as likely as not; one
// that another socket expects counts for nothing. It is called from
// WaitUntil with everything received so far.
func (r *udpRun) absorb(ds []clients.Datagram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range ds[r.seen:] {
		if g, ok := r.groups.lookup(d.Data); ok && !d.Truncated {
			r.live[g]++
		} else if loc, other := otherSocket(r.all, d.Data, r.idx); d.Truncated || !other {
			r.strays++
		} else if len(r.all[string(d.Data)]) == 1 {
			r.elsewhere.mark(loc)
		}
	}
	r.seen = len(ds)
}

// pending returns the datagrams of ks still waiting for a reply, counting
// strays that arrived since mark as replies (damaged ones) to the first of
// those without their expected reply. A datagram whose reply another
// socket received waits no more: the server sent it, to the wrong socket.
func (r *udpRun) pending(ks []int, mark int) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, k := range ks {
		if r.live[r.groups.of[k]] <= r.groups.rank[k] && !r.elsewhere.has(udpLoc{r.idx, k}) {
			out = append(out, k)
		}
	}
	return out[min(len(out), r.strays-mark):]
}

// unanswered returns how many datagrams of ks got no reply on this socket:
// those still pending and those whose reply went to another socket.
func (r *udpRun) unanswered(ks []int, mark int) int {
	n := len(r.pending(ks, mark))
	for _, k := range ks {
		if r.elsewhere.has(udpLoc{r.idx, k}) {
			n++
		}
	}
	return n
}

// udpElsewhere records, for a whole script, the requests whose reply
// reached another socket than the one that sent them: evidence enough of
// the misdelivery, so that their sockets stop sending them again. A reply
// several requests expect marks none of them.
type udpElsewhere struct {
	mu   sync.Mutex
	seen map[udpLoc]bool
}

func (u *udpElsewhere) mark(loc udpLoc) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.seen[loc] = true
}

func (u *udpElsewhere) has(loc udpLoc) bool {
	if u == nil {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[loc]
}

func (r *udpRun) strayMark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.strays
}

func (r *udpRun) send(k int) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	r.tries[k]++
	if err := r.conn.Send(r.reqs[k]); err != nil {
		r.e.logf("udp socket %d datagram %d: send %d failed: %v", r.idx, k, r.tries[k], err)
		return
	}
	r.sends[k]++
}

// exchange sends the datagrams ks and resends those still unanswered, up to
// UDPTries tries in all. It returns how many got no reply on this socket,
// expected or not: a wrong reply is judged later, and resending cannot mend
// it; nor can it bring a reply the server sends to another socket.
func (r *udpRun) exchange(ctx context.Context, ks []int) int {
	mark := r.strayMark()
	pending := ks
	for try := 0; try < r.maxTries && len(pending) > 0 && ctx.Err() == nil; try++ {
		if try > 0 {
			r.e.logf("udp socket %d: try %d for %d unanswered datagrams", r.idx, try+1, len(pending))
		}
		for _, k := range pending {
			r.send(k)
		}
		wait := UDPTry
		if r.patient {
			wait = tryWait(try)
		}
		r.await(ctx, ks, mark, wait)
		pending = r.pending(ks, mark)
	}
	return r.unanswered(ks, mark)
}

// patientSockets is the most sockets a script may use at once and still
// have every try wait UDPTry: the fuzzers' scripts use at most 4.
const patientSockets = 8

// tryWait is how long try (from 0) of a script with many sockets at once
// waits for a reply before the next: UDPTry, doubled on each try up to 4
// times UDPTry, so that a server that such a script loads (a thread per
// datagram on a busy machine) is given seconds before a datagram counts as
// unanswered, while the first tries stay quick for the datagrams loopback
// lost.
func tryWait(try int) time.Duration { return UDPTry << min(try, 2) }

// await waits until every datagram of ks has a reply, for as long as
// replies keep coming: it gives up after wait without one.
func (r *udpRun) await(ctx context.Context, ks []int, mark int, wait time.Duration) {
	for {
		before := len(r.pending(ks, mark))
		if before == 0 {
			return
		}
		tctx, cancel := r.e.within(ctx, wait)
		r.recv.WaitUntil(tctx, func(ds []clients.Datagram) bool {
			r.absorb(ds)
			return len(r.pending(ks, mark)) < before
		})
		cancel()
		if len(r.pending(ks, mark)) == before || ctx.Err() != nil {
			return
		}
	}
}

// run sends the socket's datagrams as its script says: one at a time, or
// in batches. It stops after a datagram or a batch that got no reply at all:
// the server is not answering this socket, and waiting out every
// following datagram's tries would add nothing.
func (r *udpRun) run(ctx context.Context) {
	all := make([]int, len(r.reqs))
	for k := range all {
		all[k] = k
	}
	if r.loss != nil {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.repairLoss(stop)
		}()
		defer func() {
			close(stop)
			<-done
		}()
	}
	w := 1
	if r.script.Burst {
		w = r.script.Window
		if w <= 0 {
			w = len(all)
		}
	}
	for batch := range slices.Chunk(all, max(w, 1)) {
		if r.exchange(ctx, batch) == len(batch) {
			return
		}
	}
}

// quiet waits until no datagram has arrived for a Quiet period, bounded in
// case the server never stops sending.
func (r *udpRun) quiet(ctx context.Context) {
	qctx, cancel := r.e.within(ctx, ReplyTimeout)
	defer cancel()
	r.recv.Quiet(qctx, r.e.T(Quiet))
}

// stop ends the receiver and keeps what it got, the markers' replies set
// apart.
func (r *udpRun) stop() {
	got, dropped := r.recv.Stop()
	r.got, r.markerReplies = splitMarkers(got, r.markers)
	r.dropped = dropped
}

func (r *udpRun) close() {
	r.recv.Stop()
	r.conn.Close()
}

// replySource sends a datagram from an unconnected socket and describes
// where its reply came from, as describeSource does.
func replySource(ctx context.Context, e Env) (string, error) {
	tries := e.Silence.udpTries(e.UDP)
	ctx, cancel := e.within(ctx, time.Duration(tries)*UDPTry)
	defer cancel()
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg := []byte("where from")
	want := Upper(msg)
	d, _, err := c.RoundTrip(ctx, msg, tries, func(d clients.Datagram) bool { return bytes.Equal(d.Data, want) })
	if err != nil {
		return "", err
	}
	e.logf("udp reply source: %s (server %s)", d.From, c.Remote)
	return describeSource(d.From, c.Remote), nil
}

// probeUDP checks that a fresh unconnected socket gets msg answered with
// upper(msg), from any address, trying UDPTries times within the scaled
// budget (SilentTries times within its share of it, to a server seen
// silent).
func probeUDP(ctx context.Context, e Env, msg string, budget time.Duration) error {
	tries := e.Silence.udpTries(e.UDP)
	pctx, cancel := e.within(ctx, budget*time.Duration(tries)/UDPTries)
	defer cancel()
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return fmt.Errorf("socket failed: %s", clients.DescribeErr(err))
	}
	defer c.Close()
	want := Upper([]byte(msg))
	start := time.Now()
	d, extra, err := c.RoundTrip(pctx, []byte(msg), tries, func(d clients.Datagram) bool { return bytes.Equal(d.Data, want) })
	e.logf("udp probe %q from %s: %v after %v", msg, c.Conn.LocalAddr(), err, time.Since(start).Round(time.Millisecond))
	if ctxDone(ctx) == nil || err == nil || len(extra) > 0 {
		// (A probe cut short by the caller says nothing.)
		e.Silence.note(e.UDP, err == nil || len(extra) > 0)
	}
	if err == nil {
		e.logf("udp probe %q answered from %s", msg, d.From)
		return nil
	}
	if len(extra) > 0 {
		return &udpProbeError{text: fmt.Sprintf("reply to %q was %q, not %q", msg, truncateForText(extra[0].Data), want),
			id: udpContentID([]byte(msg), extra[0].Data)}
	}
	return fmt.Errorf("no reply to %q after %d tries", msg, tries)
}
