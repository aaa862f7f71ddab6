package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// MaxUDPPayload is the largest payload one UDP datagram over IPv4 carries:
// 65535 bytes less the 20-byte IP and 8-byte UDP headers. A longer request
// cannot be sent.
const MaxUDPPayload = 65507

// UDPSocketScript is what one client socket does: the datagrams it sends,
// in order, and how.
type UDPSocketScript struct {
	// Connected makes the socket a connected one (connect(2)), as a client
	// that calls connect before send does: the kernel then delivers only
	// datagrams from the server's address and port. An unconnected socket
	// sends with sendto and sees, and checks, each reply's source.
	Connected bool `json:"connected,omitempty"`
	// Datagrams are the requests, each of 0 to MaxUDPPayload bytes; a
	// longer one is cut to MaxUDPPayload. Identical requests are allowed.
	Datagrams [][]byte `json:"datagrams"`
	// Burst sends every datagram at once, without waiting for a reply.
	// Otherwise each datagram is a round trip: its reply is awaited before
	// the next is sent, and the socket stops at the first datagram that
	// stays unanswered through every try.
	Burst bool `json:"burst,omitempty"`
	// Window, with Burst, sends the datagrams in batches of Window: each
	// batch at once, and awaited before the next; the socket stops after a
	// batch that gets no reply at all. 0 means one batch. Many sockets
	// bursting together overflow the server's receive buffer, and
	// datagrams lost that way are retried, not blamed: a window keeps the
	// retries few.
	Window int `json:"window,omitempty"`
}

// UDPScript is a set of client sockets run concurrently against a UDP
// server, then judged. It is the UDP counterpart of TCPScript, and the unit
// the UDP fuzzer draws, shrinks and saves as JSON for replay.
//
// Each datagram is tried up to UDPTries times: it is sent, and sent again
// while no reply to it has arrived, each try waiting up to UDPTry (scaled)
// after the last progress. A datagram that is no socket's expected reply (a
// stray) counts as a reply for this: resending cannot mend a damaged
// reply, and a failing script stays quick to shrink. Once every request has
// a reply (the positive signal) or the tries are spent, every socket
// listens for a Quiet period for datagrams that should not come. Then, for
// each socket:
//
//   - a reply equal to want(r) for one of its requests r counts for r,
//     where want(r) is upper(r) for r up to the declared maximum
//     (Env.UDPMax) and upper(r[:max]) beyond it. Identical requests share
//     their replies by count: there may be at most as many such replies as
//     sends of requests expecting them (a retried datagram may
//     legitimately be answered once per send, never more);
//   - a reply that only another socket's request expects was misdelivered;
//   - on an unconnected socket every datagram comes from the address and
//     port the requests went to;
//   - each stray, in byte order, is paired with the request without a reply
//     that it most resembles (longest common prefix with upper(request),
//     then most bytes agreeing, then closest length) and judged as that
//     request's damaged reply; once no request lacks a reply, a stray is
//     judged against the request it resembles, or as an extra datagram if
//     it resembles none;
//   - every request left over got no reply.
//
// A datagram unanswered through all UDPTries tries counts as not answered:
// loopback can drop a datagram when a socket buffer overflows, but losing
// the same datagram or its reply six times in a row is negligibly unlikely
// where nothing floods the path, so a rule that forbids silence is not
// blamed for an ordinary loss. Bursts from many sockets at once can
// overflow the server's receive buffer: UDPSocketScript.Window keeps them
// small.
//
// Failure text is deterministic: socket and datagram indexes, sizes, the
// first differing offset with a hex excerpt of both sides; never a port or
// a time, which go to Env.Logf. Findings of one kind on one socket are one
// violation naming the first datagram and how many there were.
//
// Afterwards, unless SkipFinalProbe is set or something was already found,
// a fresh socket must still get "a" answered with "A".
type UDPScript struct {
	// ID, when set, is the requirement every violation is reported under
	// (a spec checking one requirement). When empty, each violation is
	// attributed to the requirement its symptom breaks (the fuzzers):
	// a wrong byte is UDP-BYTES; a reply cut short, or longer than the
	// declared maximum, is UDP-SIZE; another socket's reply is
	// UDP-CONCURRENT; a duplicate, an extra datagram or a reply larger than
	// its request is UDP-ONCE; a reply from another address is UDP-SOURCE;
	// an empty request left unanswered is UDP-EMPTY and any other
	// unanswered request UDP-ROUNDTRIP; a server that no longer answers
	// afterwards is UDP-SURVIVE.
	ID string `json:"id,omitempty"`
	// Case names the case in failure text.
	Case    string            `json:"case,omitempty"`
	Sockets []UDPSocketScript `json:"sockets"`
	// SkipFinalProbe leaves out the closing check that a fresh socket is
	// still answered.
	SkipFinalProbe bool `json:"skip_final_probe,omitempty"`
}

func (s UDPScript) idOr(id string) string {
	if s.ID != "" {
		return s.ID
	}
	return id
}

// udpWant returns the reply req must get: upper of its first max bytes.
func udpWant(req []byte, max int) []byte {
	return Upper(req[:min(len(req), max)])
}

// RunUDP runs s against e.UDP and returns every violation it observed, or nil.
func RunUDP(ctx context.Context, e Env, s UDPScript) error {
	if e.UDP == "" {
		return errors.New("check: no UDP address to check")
	}
	start := time.Now()
	var vs Violations
	runs := make([]*udpRun, len(s.Sockets))
	defer func() {
		for _, r := range runs {
			if r != nil {
				r.close()
			}
		}
	}()
	// No reply may be longer than the script's longest request. A socket
	// keeps a little more of a datagram than that, so that a damaged reply
	// a few bytes too long (a byte mapped to a 3-byte UTF-8 sequence, say)
	// is seen whole and judged for its bytes; anything longer is kept cut
	// short and marked: a server that floods large datagrams cannot make
	// the receivers hold much more than their count of requests' worth.
	keep := 0
	for _, ss := range s.Sockets {
		for _, d := range ss.Datagrams {
			keep = max(keep, min(len(d), MaxUDPPayload))
		}
	}
	keep = min(MaxUDPPayload, keep+keep/8+64)
	for i, ss := range s.Sockets {
		r, err := openUDPRun(ctx, e, i, ss, keep)
		if err != nil {
			return fmt.Errorf("check: opening UDP socket %d: %s", i, DescribeErr(err))
		}
		runs[i] = r
	}
	wants := map[string][]udpLoc{}
	for i, r := range runs {
		for k, w := range r.wants {
			wants[string(w)] = append(wants[string(w)], udpLoc{i, k})
		}
	}
	for _, r := range runs {
		r.all = wants
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() { r.run(ctx) })
	}
	wg.Wait()
	for _, r := range runs {
		wg.Go(func() { r.quiet(ctx) })
	}
	wg.Wait()
	for _, r := range runs {
		r.stop()
	}
	e.logf("udp script %q: %d sockets exchanged in %v", s.Case, len(runs), time.Since(start).Round(time.Millisecond))
	if err := ctxDone(ctx); err != nil {
		// An unfinished exchange says nothing about the server.
		return fmt.Errorf("check: UDP script interrupted: %w", err)
	}

	j := newUDPJudge(e, s, runs, wants)
	if s.ID == "" && j.sourceSeen == "" && j.connectedMissing() {
		// Connected sockets went unanswered and no unconnected socket saw
		// where replies come from: ask one, since replies from another
		// address are exactly what a connected socket never sees.
		if src, err := replySource(ctx, e); err == nil && src != "" {
			j.sourceSeen = src
		}
	}
	vs = append(vs, j.judge()...)
	if !s.SkipFinalProbe && len(vs) == 0 {
		if err := probeUDP(ctx, e, "a", UDPTries*UDPTry); err != nil {
			vs.add(s.idOr("UDP-SURVIVE"), s.Case, "a fresh socket answered after the script", err.Error(), "new socket")
		}
	}
	return vs.Err()
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

// udpGroup is the requests of one socket that expect the same reply.
type udpGroup struct {
	members []int // datagram indexes, in order
	sends   int   // successful sends of all of them
	live    int   // matching replies counted while the script runs
}

// udpRun is one scripted socket in progress.
type udpRun struct {
	e      Env
	idx    int
	script UDPSocketScript
	reqs   [][]byte // the requests as sent (cut to MaxUDPPayload)
	wants  [][]byte // the reply each must get
	conn   *clients.UDPConn
	recv   *clients.Receiver
	all    map[string][]udpLoc // every socket's expected replies

	mu     sync.Mutex
	groups map[string]*udpGroup // by expected reply
	group  []*udpGroup          // each datagram's group
	rank   []int                // each datagram's position in its group
	tries  []int                // attempts per datagram, failed sends included
	seen   int                  // received datagrams counted into live
	strays int                  // received datagrams that are no expected reply

	got     []clients.Datagram // everything received, when stopped
	dropped int                // received beyond the receiver's limit
}

func openUDPRun(ctx context.Context, e Env, idx int, ss UDPSocketScript, keep int) (*udpRun, error) {
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
		e: e, idx: idx, script: ss, conn: c,
		reqs: make([][]byte, n), wants: make([][]byte, n),
		groups: map[string]*udpGroup{}, group: make([]*udpGroup, n), rank: make([]int, n),
		tries: make([]int, n),
	}
	for k, d := range ss.Datagrams {
		if len(d) > MaxUDPPayload {
			d = d[:MaxUDPPayload]
		}
		r.reqs[k] = d
		r.wants[k] = udpWant(d, e.udpMax())
		g := r.groups[string(r.wants[k])]
		if g == nil {
			g = &udpGroup{}
			r.groups[string(r.wants[k])] = g
		}
		r.rank[k] = len(g.members)
		g.members = append(g.members, k)
		r.group[k] = g
	}
	// Keep every reply a conforming server could send (one per try) and
	// some extras to show a misbehaving one; count the rest.
	r.recv = clients.NewReceiver(c, keep, UDPTries*n+64)
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
		if g := r.groups[string(d.Data)]; g != nil && !d.Truncated {
			g.live++
		} else if d.Truncated || !r.foreign(d.Data) {
			r.strays++
		}
	}
	r.seen = len(ds)
}

// foreign reports whether b is the expected reply of another socket only.
func (r *udpRun) foreign(b []byte) bool {
	for _, loc := range r.all[string(b)] {
		if loc.socket != r.idx {
			return true
		}
	}
	return false
}

// pending returns the datagrams of ks still waiting for a reply, counting
// strays that arrived since mark as replies (damaged ones) to the first of
// those without their expected reply.
func (r *udpRun) pending(ks []int, mark int) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, k := range ks {
		if r.group[k].live <= r.rank[k] {
			out = append(out, k)
		}
	}
	return out[min(len(out), r.strays-mark):]
}

func (r *udpRun) strayMark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.strays
}

func (r *udpRun) send(k int) {
	r.tries[k]++
	if err := r.conn.Send(r.reqs[k]); err != nil {
		r.e.logf("udp socket %d datagram %d: send %d failed: %v", r.idx, k, r.tries[k], err)
		return
	}
	r.mu.Lock()
	r.group[k].sends++
	r.mu.Unlock()
}

// exchange sends the datagrams ks and resends those still unanswered, up to
// UDPTries tries in all. It returns how many got no reply, expected or not:
// a wrong reply is judged later, and resending cannot mend it.
func (r *udpRun) exchange(ctx context.Context, ks []int) int {
	mark := r.strayMark()
	pending := ks
	for try := 0; try < UDPTries && len(pending) > 0 && ctx.Err() == nil; try++ {
		if try > 0 {
			r.e.logf("udp socket %d: try %d for %d unanswered datagrams", r.idx, try+1, len(pending))
		}
		for _, k := range pending {
			r.send(k)
		}
		r.await(ctx, ks, mark)
		pending = r.pending(ks, mark)
	}
	return len(pending)
}

// await waits until every datagram of ks has a reply, for as long as
// replies keep coming: it gives up after UDPTry without one.
func (r *udpRun) await(ctx context.Context, ks []int, mark int) {
	for {
		before := len(r.pending(ks, mark))
		if before == 0 {
			return
		}
		tctx, cancel := r.e.within(ctx, UDPTry)
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

// stop ends the receiver and keeps what it got.
func (r *udpRun) stop() {
	r.got, r.dropped = r.recv.Stop()
}

func (r *udpRun) close() {
	r.recv.Stop()
	r.conn.Close()
}

// udpLoc names one request of a script: socket and datagram index.
type udpLoc struct{ socket, datagram int }

// udpFinding is one violation before aggregation: findings of the same
// socket, requirement and kind become one violation that names the first
// datagram and counts the rest.
type udpFinding struct {
	socket   int
	datagram int // -1 when no request is concerned
	id       string
	kind     string
	expected string
	observed string
	detail   string // where, after the socket and datagram
	key      string // orders findings of one kind deterministically
}

// udpJudge compares what every socket got with what it should have.
type udpJudge struct {
	e    Env
	s    UDPScript
	runs []*udpRun
	// wants maps an expected reply to the requests, of any socket, that
	// expect it.
	wants map[string][]udpLoc
	// misdelivered counts the replies each request got on another socket.
	misdelivered map[udpLoc]int
	misdeliverTo map[udpLoc]int // the first socket such a reply went to
	// sourceSeen describes where replies came from when an unconnected
	// socket got one from an address other than the server's ("" if none).
	sourceSeen string
	findings   []udpFinding
}

func newUDPJudge(e Env, s UDPScript, runs []*udpRun, wants map[string][]udpLoc) *udpJudge {
	j := &udpJudge{e: e, s: s, runs: runs, wants: wants, misdelivered: map[udpLoc]int{}, misdeliverTo: map[udpLoc]int{}}
	// Sources first: a connected socket's silence is judged against them.
	for _, r := range runs {
		if r.script.Connected {
			continue
		}
		for _, d := range r.got {
			if src := describeSource(d.From, r.conn.Remote); src != "" && j.sourceSeen == "" {
				j.sourceSeen = src
			}
		}
	}
	// Misdeliveries next: a request's silence is judged against them.
	for i, r := range runs {
		for _, d := range r.got {
			if r.groups[string(d.Data)] != nil && !d.Truncated {
				continue
			}
			for _, loc := range j.wants[string(d.Data)] {
				if loc.socket != i {
					if j.misdelivered[loc] == 0 {
						j.misdeliverTo[loc] = i
					}
					j.misdelivered[loc]++
					break
				}
			}
		}
	}
	return j
}

// connectedMissing reports whether some connected socket has a request
// without its reply.
func (j *udpJudge) connectedMissing() bool {
	for _, r := range j.runs {
		if !r.script.Connected {
			continue
		}
		counts := r.replyCounts()
		for k := range r.reqs {
			if r.tries[k] > 0 && counts[r.group[k]] <= r.rank[k] {
				return true
			}
		}
	}
	return false
}

// replyCounts counts the received replies that match each group.
func (r *udpRun) replyCounts() map[*udpGroup]int {
	counts := map[*udpGroup]int{}
	for _, d := range r.got {
		if g := r.groups[string(d.Data)]; g != nil && !d.Truncated {
			counts[g]++
		}
	}
	return counts
}

func (j *udpJudge) add(f udpFinding) {
	j.findings = append(j.findings, f)
}

// judge returns the script's violations, one per socket, requirement and
// kind of symptom, in a deterministic order.
func (j *udpJudge) judge() Violations {
	for i, r := range j.runs {
		j.judgeSocket(i, r)
	}
	slices.SortStableFunc(j.findings, func(a, b udpFinding) int {
		if c := a.socket - b.socket; c != 0 {
			return c
		}
		if c := a.datagram - b.datagram; c != 0 {
			return c
		}
		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	type aggKey struct {
		socket   int
		id, kind string
	}
	counts := map[aggKey]int{}
	for _, f := range j.findings {
		counts[aggKey{f.socket, f.id, f.kind}]++
	}
	var vs Violations
	done := map[aggKey]bool{}
	for _, f := range j.findings {
		k := aggKey{f.socket, f.id, f.kind}
		if done[k] {
			continue
		}
		done[k] = true
		observed := f.observed
		if n := counts[k]; n > 1 {
			observed += fmt.Sprintf(" (and %d more like it)", n-1)
		}
		where := fmt.Sprintf("socket %d", f.socket)
		if j.runs[f.socket].script.Connected {
			where += " (connected)"
		}
		if f.datagram >= 0 {
			where += fmt.Sprintf(" datagram %d", f.datagram)
		}
		if f.detail != "" {
			where += ", " + f.detail
		}
		vs.add(j.s.idOr(f.id), j.s.Case, f.expected, observed, where)
	}
	return vs
}

// judgeSocket records the findings of socket i. Replies equal to an
// expected reply are counted against their requests' sends; the requests
// left without one are then paired with the strays that most resemble
// them, each pair judged as a damaged reply; strays left over are extras;
// requests left over got no reply at all.
func (j *udpJudge) judgeSocket(i int, r *udpRun) {
	max := j.e.udpMax()
	counts := map[*udpGroup]int{}
	wrongSource, fromServer, source := 0, 0, ""
	var strays [][]byte
	for _, d := range r.got {
		if !r.script.Connected && d.From.IsValid() {
			if src := describeSource(d.From, r.conn.Remote); src != "" {
				wrongSource++
				if source == "" {
					source = src
				}
			} else {
				fromServer++
			}
		}
		switch g := r.groups[string(d.Data)]; {
		case d.Truncated:
			j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "larger",
				expected: "no reply larger than its request",
				observed: fmt.Sprintf("a datagram longer than %d bytes", len(d.Data))})
		case g != nil:
			counts[g]++
		case r.foreign(d.Data):
			loc := j.wants[string(d.Data)][0]
			for _, l := range j.wants[string(d.Data)] {
				if l.socket != i {
					loc = l
					break
				}
			}
			j.add(udpFinding{socket: i, datagram: -1, id: "UDP-CONCURRENT", kind: "foreign",
				expected: "only replies to this socket's own requests",
				observed: fmt.Sprintf("the reply to socket %d datagram %d", loc.socket, loc.datagram),
				key:      fmt.Sprintf("%08d %08d", loc.socket, loc.datagram)})
		default:
			strays = append(strays, d.Data)
		}
	}
	if wrongSource > 0 {
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-SOURCE", kind: "source",
			expected: "every reply from the address and port the requests went to",
			observed: fmt.Sprintf("%d of %d replies from %s", wrongSource, wrongSource+fromServer, source)})
	}
	if r.dropped > 0 {
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "flood",
			expected: "one reply per datagram sent",
			observed: fmt.Sprintf("more datagrams than the %d a conforming server could send", len(r.got))})
	}
	var missing []int
	for k := range r.reqs {
		g := r.group[k]
		if r.rank[k] == 0 && counts[g] > g.sends {
			j.add(udpFinding{socket: i, datagram: k, id: "UDP-ONCE", kind: "duplicate",
				expected: "at most one reply per datagram sent",
				observed: fmt.Sprintf("%d replies to %s", counts[g], plural(g.sends, "send"))})
		}
		if r.tries[k] > 0 && counts[g] <= r.rank[k] {
			missing = append(missing, k)
		}
	}
	// Strays in a fixed order, so that pairing does not depend on arrival.
	slices.SortFunc(strays, bytes.Compare)
	for _, d := range strays {
		missing = j.judgeStray(i, r, d, missing, max)
	}
	for _, k := range missing {
		j.judgeMissing(i, r, k, max)
	}
}

// judgeMissing records that datagram k of socket i got no reply.
func (j *udpJudge) judgeMissing(i int, r *udpRun, k, max int) {
	req := r.reqs[k]
	observed := fmt.Sprintf("no reply after %d tries", r.tries[k])
	if r.tries[k] == 1 {
		observed = "no reply after 1 try"
	}
	loc := udpLoc{i, k}
	switch {
	case j.misdelivered[loc] > 0:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-CONCURRENT", kind: "missing",
			expected: "the reply on the socket that sent the request",
			observed: fmt.Sprintf("no reply here; it went to socket %d", j.misdeliverTo[loc])})
	case r.script.Connected && j.sourceSeen != "":
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-SOURCE", kind: "missing",
			expected: "a reply on a connected socket, which accepts only datagrams from the server's address",
			observed: fmt.Sprintf("%s; replies come from %s", observed, j.sourceSeen)})
	case len(req) == 0:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-EMPTY", kind: "missing",
			expected: "a zero-length reply to a zero-length datagram", observed: observed})
	default:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-ROUNDTRIP", kind: "missing",
			expected: fmt.Sprintf("a reply of %s, %s", nBytes(len(r.wants[k])), describeWant(len(req), max)),
			observed: observed, detail: "the request starts " + hexStart(req)})
	}
}

// describeWant says what the reply to a request of n bytes is.
func describeWant(n, max int) string {
	if n > max {
		return fmt.Sprintf("upper of the first %d bytes of the %d-byte request", max, n)
	}
	return "upper(request)"
}

// judgeStray records a datagram d that socket i received and that is no
// request's expected reply, and returns missing without the request it
// answers, if it answers one of them.
func (j *udpJudge) judgeStray(i int, r *udpRun, d []byte, missing []int, max int) []int {
	among := missing
	if len(among) == 0 {
		among = nil // every request
	}
	k, p, related := closestRequest(d, r.reqs, among)
	if len(j.runs) > 1 && !related {
		// Part of another socket's reply, rather than of one of ours?
		for o, other := range j.runs {
			if o == i {
				continue
			}
			if ok, op, orel := closestRequest(d, other.reqs, nil); ok >= 0 && orel && op > p && (op >= 8 || op == len(d)) {
				j.add(udpFinding{socket: i, datagram: -1, id: "UDP-CONCURRENT", kind: "foreign",
					expected: "only replies to this socket's own requests",
					observed: fmt.Sprintf("a %d-byte datagram resembling the reply to socket %d datagram %d", len(d), o, ok),
					key:      fmt.Sprintf("%08d %08d", o, ok)})
				return missing
			}
		}
	}
	if k < 0 || (among == nil && (len(d) == 0 || (!related && p == 0))) {
		what := "a zero-length datagram that answers no request"
		if len(d) > 0 {
			what = fmt.Sprintf("a %d-byte datagram that answers no request", len(d))
		}
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "extra",
			expected: "no datagram but the replies to this socket's requests", observed: what,
			detail: "it starts " + hexStart(d), key: string(d)})
		return missing
	}
	j.add(classifyReply(i, k, r.reqs[k], r.wants[k], d, p, max))
	return slices.DeleteFunc(missing, func(m int) bool { return m == k })
}

// classifyReply judges d as the reply to request k, req, whose expected
// reply is want; p is the length of the prefix d shares with upper(req).
func classifyReply(socket, k int, req, want, d []byte, p, max int) udpFinding {
	full := Upper(req)
	f := udpFinding{socket: socket, datagram: k, key: string(d), detail: DiffBytes(want, d),
		expected: fmt.Sprintf("a reply of %s, %s", nBytes(len(want)), describeWant(len(req), max))}
	n := len(d)
	switch {
	case p < n && p < len(full) && p < len(want):
		// A byte differs within the expected reply: the mapping.
		f.id, f.kind = "UDP-BYTES", "mapping"
		in, out := req[p], d[p]
		switch {
		case isLower(in) && out == in:
			f.observed = fmt.Sprintf("byte 0x%02x (%q) not uppercased", in, in)
		case isLower(in):
			f.observed = fmt.Sprintf("byte 0x%02x (%q) became 0x%02x", in, in, out)
		default:
			f.observed = fmt.Sprintf("byte 0x%02x changed to 0x%02x", in, out)
		}
		if n != len(want) {
			f.observed += fmt.Sprintf(", and %d bytes instead of %d", n, len(want))
		}
	case n > len(req):
		f.id, f.kind = "UDP-ONCE", "larger"
		f.observed = fmt.Sprintf("a %d-byte reply to a %d-byte request", n, len(req))
	case n < len(want):
		f.id, f.kind = "UDP-SIZE", "short"
		f.observed = fmt.Sprintf("the reply cut to %d bytes (declared maximum %d)", n, max)
	default:
		// Longer than the declared maximum, not longer than the request.
		f.id, f.kind = "UDP-SIZE", "over-max"
		how := "more than"
		if p == n && n == len(req) {
			how = "the whole request, not cut to"
		}
		f.observed = fmt.Sprintf("a %d-byte reply: %s the declared maximum of %d", n, how, max)
	}
	return f
}

// closestRequest returns the request, among those indexed by among (nil:
// all), that got looks most like the reply to: the longest common prefix
// with upper(request), then one that most of got resembles, then the
// closest length, then the lowest index. p is that prefix's length;
// related says whether at least half the bytes got shares in position with
// the request agree with it or its uppercase, which tells a damaged reply
// from an unrelated datagram. k is -1 when there is no request.
func closestRequest(got []byte, reqs [][]byte, among []int) (k, p int, related bool) {
	k = -1
	bestDist := 0
	consider := func(i int) {
		req := reqs[i]
		full := Upper(req)
		pi := commonPrefix(got, full)
		ri := resembles(got, req, full)
		dist := abs(len(got) - len(req))
		better := k < 0 || pi > p ||
			(pi == p && ri && !related) ||
			(pi == p && ri == related && dist < bestDist)
		if better {
			k, p, related, bestDist = i, pi, ri, dist
		}
	}
	if among == nil {
		for i := range reqs {
			consider(i)
		}
	} else {
		for _, i := range among {
			consider(i)
		}
	}
	return k, p, related
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// resembles reports whether at least half the bytes got shares in position
// with req equal the request's byte or its uppercase.
func resembles(got, req, full []byte) bool {
	n := min(len(got), len(req))
	if n == 0 {
		return false
	}
	same := 0
	for i := range n {
		if got[i] == req[i] || got[i] == full[i] {
			same++
		}
	}
	return 2*same >= n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// describeSource says where from came from relative to the server's
// address, without port numbers: "" for the server's own address and port.
func describeSource(from, server netip.AddrPort) string {
	if !from.IsValid() {
		return ""
	}
	f, s := from.Addr().Unmap(), server.Addr().Unmap()
	switch {
	case f == s && from.Port() == server.Port():
		return ""
	case f == s:
		return "another port of the same host"
	}
	return "another host"
}

// replySource sends a datagram from an unconnected socket and describes
// where its reply came from, as describeSource does.
func replySource(ctx context.Context, e Env) (string, error) {
	ctx, cancel := e.within(ctx, UDPTries*UDPTry)
	defer cancel()
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return "", err
	}
	defer c.Close()
	msg := []byte("where from")
	want := Upper(msg)
	d, _, err := c.RoundTrip(ctx, msg, UDPTries, func(d clients.Datagram) bool { return bytes.Equal(d.Data, want) })
	if err != nil {
		return "", err
	}
	e.logf("udp reply source: %s (server %s)", d.From, c.Remote)
	return describeSource(d.From, c.Remote), nil
}

// probeUDP checks that a fresh unconnected socket gets msg answered with
// upper(msg), from any address, trying UDPTries times within the scaled
// budget.
func probeUDP(ctx context.Context, e Env, msg string, budget time.Duration) error {
	ctx, cancel := e.within(ctx, budget)
	defer cancel()
	c, err := clients.ListenUDP(e.UDP)
	if err != nil {
		return fmt.Errorf("socket failed: %s", DescribeErr(err))
	}
	defer c.Close()
	want := Upper([]byte(msg))
	start := time.Now()
	d, extra, err := c.RoundTrip(ctx, []byte(msg), UDPTries, func(d clients.Datagram) bool { return bytes.Equal(d.Data, want) })
	e.logf("udp probe %q from %s: %v after %v", msg, c.Conn.LocalAddr(), err, time.Since(start).Round(time.Millisecond))
	if err == nil {
		e.logf("udp probe %q answered from %s", msg, d.From)
		return nil
	}
	if len(extra) > 0 {
		return fmt.Errorf("reply to %q was %q, not %q", msg, truncateForText(extra[0].Data), want)
	}
	return fmt.Errorf("no reply to %q after %d tries", msg, UDPTries)
}

// plural returns "1 send", "2 sends".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// hexStart renders the first bytes of b in hex, with "…" if there are more.
func hexStart(b []byte) string {
	var s strings.Builder
	for i, c := range b[:min(len(b), excerpt)] {
		if i > 0 {
			s.WriteString(" ")
		}
		fmt.Fprintf(&s, "%02x", c)
	}
	if len(b) > excerpt {
		s.WriteString("…")
	}
	return s.String()
}

// truncateForText keeps failure text short.
func truncateForText(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
