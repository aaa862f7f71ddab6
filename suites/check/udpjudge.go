package check

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/upcheck/upcheck/clients"
)

// udpSock is one socket's observation as the judge reads it.
type udpSock struct {
	*udpSocketObs
	// got is what the socket received, less the copies a network made
	// (udpNetRecord.withoutCopies).
	got    []clients.Datagram
	wants  [][]byte // the reply each request must get
	groups udpGroups
	sends  []int // successful sends per group
}

// replyCounts counts the received replies that match each group.
func (sk *udpSock) replyCounts() []int {
	counts := make([]int, sk.groups.n)
	for _, d := range sk.got {
		if g, ok := sk.groups.lookup(d.Data); ok && !d.Truncated {
			counts[g]++
		}
	}
	return counts
}

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
	s     UDPScript
	max   int // the declared maximum payload
	socks []*udpSock
	// wants maps an expected reply to the requests, of any socket, that
	// expect it.
	wants map[string][]udpLoc
	// misdelivered counts the replies each request got on another socket.
	misdelivered map[udpLoc]int
	misdeliverTo map[udpLoc]int // the first socket such a reply went to
	// sourceSeen describes where replies came from when an unconnected
	// socket got one from an address other than the server's ("" if none),
	// or else what the probe of udpObs.probedSource saw.
	sourceSeen string
	// newSocketSilent is udpObs.newSocketSilent.
	newSocketSilent bool
	findings        []udpFinding
}

// judgeUDP judges what the sockets of s observed, for a server whose
// declared maximum payload is max: one violation per socket, requirement
// and kind of symptom, in a deterministic order.
func judgeUDP(s UDPScript, max int, o udpObs) Violations {
	j := newUDPJudge(s, max, o)
	for i := range j.socks {
		j.judgeSocket(i)
	}
	return j.violations()
}

// needsSourceProbe reports whether judging o needs to know where a fresh
// socket's replies come from: connected sockets went unanswered, and no
// unconnected socket saw a reply from another address. Replies from
// another address are exactly what a connected socket never sees, and
// their silence is then UDP-SOURCE's, not a lost round trip.
func needsSourceProbe(s UDPScript, max int, o udpObs) bool {
	j := newUDPJudge(s, max, udpObs{sockets: o.sockets})
	return j.sourceSeen == "" && j.connectedMissing()
}

func newUDPJudge(s UDPScript, max int, o udpObs) *udpJudge {
	j := &udpJudge{s: s, max: max, misdelivered: map[udpLoc]int{}, misdeliverTo: map[udpLoc]int{}}
	all := make([][][]byte, len(o.sockets))
	for i, so := range o.sockets {
		j.socks = append(j.socks, newUDPSock(so, max))
		all[i] = j.socks[i].wants
	}
	j.wants = indexWants(all)
	// Sources first: a connected socket's silence is judged against them.
	j.sourceSeen = j.firstSource()
	if j.sourceSeen == "" {
		j.sourceSeen = o.probedSource
	}
	j.newSocketSilent = o.newSocketSilent
	// Misdeliveries next: a request's silence is judged against them.
	j.countMisdeliveries()
	return j
}

// newUDPSock reads a socket's observation for a server whose declared
// maximum payload is max.
func newUDPSock(so *udpSocketObs, max int) *udpSock {
	sk := &udpSock{udpSocketObs: so, got: so.net.withoutCopies(so.got), wants: make([][]byte, len(so.reqs))}
	for k, req := range so.reqs {
		sk.wants[k] = udpWant(req, max)
	}
	sk.groups = groupRequests(sk.wants)
	sk.sends = make([]int, sk.groups.n)
	for k, n := range so.sends {
		sk.sends[sk.groups.of[k]] += n
	}
	return sk
}

// firstSource describes the first source other than the server's address
// and port that an unconnected socket saw a datagram from ("" for none).
func (j *udpJudge) firstSource() string {
	for _, sk := range j.socks {
		if sk.connected {
			continue
		}
		for _, d := range sk.got {
			if src := describeSource(d.From, sk.server); src != "" {
				return src
			}
		}
	}
	return ""
}

// countMisdeliveries counts, for each request, the replies it got on
// another socket, and notes the first socket such a reply went to.
func (j *udpJudge) countMisdeliveries() {
	for i, sk := range j.socks {
		for _, d := range sk.got {
			if _, ok := sk.groups.lookup(d.Data); ok && !d.Truncated {
				continue
			}
			if loc, ok := otherSocket(j.wants, d.Data, i); ok {
				if j.misdelivered[loc] == 0 {
					j.misdeliverTo[loc] = i
				}
				j.misdelivered[loc]++
			}
		}
	}
}

// connectedMissing reports whether some connected socket has a request
// without its reply.
func (j *udpJudge) connectedMissing() bool {
	for _, sk := range j.socks {
		if !sk.connected {
			continue
		}
		counts := sk.replyCounts()
		for k := range sk.reqs {
			if sk.tries[k] > 0 && counts[sk.groups.of[k]] <= sk.groups.rank[k] {
				return true
			}
		}
	}
	return false
}

func (j *udpJudge) add(f udpFinding) {
	j.findings = append(j.findings, f)
}

// violations aggregates the findings: one violation per socket,
// requirement and kind, naming the first finding in a deterministic order
// and counting the rest.
func (j *udpJudge) violations() Violations {
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
		vs.add(f.id, j.s.Case, f.expected, observed, j.where(f))
	}
	return vs
}

// where locates a finding: "socket 1 (connected) datagram 3, detail".
func (j *udpJudge) where(f udpFinding) string {
	where := fmt.Sprintf("socket %d", f.socket)
	if j.socks[f.socket].connected {
		where += " (connected)"
	}
	if f.datagram >= 0 {
		where += fmt.Sprintf(" datagram %d", f.datagram)
	}
	if f.detail != "" {
		where += ", " + f.detail
	}
	return where
}

// judgeSocket records the findings of socket i. Replies equal to an
// expected reply are counted against their requests' sends; the requests
// left without one are then paired with the strays that most resemble
// them, each pair judged as a damaged reply; strays left over are extras;
// requests left over got no reply at all.
func (j *udpJudge) judgeSocket(i int) {
	sk := j.socks[i]
	counts, strays, cut := j.sortReplies(i)
	j.judgeSources(i)
	if sk.dropped > 0 {
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "flood",
			expected: "one reply per datagram sent",
			observed: fmt.Sprintf("more datagrams than the %d a conforming server could send", len(sk.got))})
	}
	missing := j.judgeCounts(i, counts)
	// Strays in a fixed order, so that pairing does not depend on arrival.
	slices.SortFunc(strays, bytes.Compare)
	for _, d := range strays {
		missing = j.judgeStray(i, d, missing)
	}
	slices.SortFunc(cut, bytes.Compare)
	for _, d := range cut {
		missing = j.judgeCut(i, d, missing)
	}
	for _, k := range missing {
		j.judgeMissing(i, k, missing)
	}
}

// sortReplies goes through what socket i received: another socket's reply
// is a finding; replies its requests expect are counted by group; a
// datagram the receiver cut short (larger than any reply may be) is in
// cut; the rest are strays.
func (j *udpJudge) sortReplies(i int) (counts []int, strays, cut [][]byte) {
	sk := j.socks[i]
	counts = make([]int, sk.groups.n)
	for _, d := range sk.got {
		g, ok := sk.groups.lookup(d.Data)
		loc, foreign := otherSocket(j.wants, d.Data, i)
		switch {
		case d.Truncated:
			cut = append(cut, d.Data)
		case ok:
			counts[g]++
		case foreign:
			j.add(udpFinding{socket: i, datagram: -1, id: "UDP-CONCURRENT", kind: "foreign",
				expected: "only replies to this socket's own requests",
				observed: fmt.Sprintf("the reply to socket %d datagram %d", loc.socket, loc.datagram),
				key:      fmt.Sprintf("%08d %08d", loc.socket, loc.datagram)})
		default:
			strays = append(strays, d.Data)
		}
	}
	return counts, strays, cut
}

// judgeCut records a datagram d, cut short by socket i's receiver, and
// returns missing without the request it answers, if it answers one of
// them: larger than any reply may be, it is the damaged reply of the
// unanswered request it most resembles (a byte mapped wrongly within the
// reply's length is UDP-BYTES, else UDP-ONCE), or an extra datagram.
func (j *udpJudge) judgeCut(i int, d []byte, missing []int) []int {
	sk := j.socks[i]
	k, p := -1, 0
	if len(missing) > 0 {
		k, p, _ = closestRequest(d, sk.reqs, missing)
	}
	if k < 0 {
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "larger",
			expected: "no reply larger than its request",
			observed: fmt.Sprintf("a datagram longer than %d bytes", len(d))})
		return missing
	}
	f := classifyReply(i, k, sk.reqs[k], sk.wants[k], d, p, j.max)
	switch f.kind {
	case "mapping":
		f.observed = strings.Replace(f.observed, fmt.Sprintf(", and %d bytes instead of", len(d)), fmt.Sprintf(", and more than %d bytes instead of", len(d)), 1)
	default:
		f.id, f.kind = "UDP-ONCE", "larger"
		f.observed = fmt.Sprintf("a reply longer than %d bytes to a %d-byte request", len(d), len(sk.reqs[k]))
	}
	j.add(f)
	return slices.DeleteFunc(missing, func(m int) bool { return m == k })
}

// judgeSources records, for an unconnected socket i, the replies that came
// from another address or port than the requests went to.
func (j *udpJudge) judgeSources(i int) {
	sk := j.socks[i]
	if sk.connected {
		return
	}
	wrong, fromServer, source := 0, 0, ""
	for _, d := range sk.got {
		if !d.From.IsValid() {
			continue
		}
		if src := describeSource(d.From, sk.server); src != "" {
			wrong++
			if source == "" {
				source = src
			}
		} else {
			fromServer++
		}
	}
	if wrong > 0 {
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-SOURCE", kind: "source",
			expected: "every reply from the address and port the requests went to",
			observed: fmt.Sprintf("%d of %d replies from %s", wrong, wrong+fromServer, source)})
	}
}

// judgeCounts records the groups of socket i that got more replies than
// their requests' sends, and returns the requests left without a reply.
func (j *udpJudge) judgeCounts(i int, counts []int) (missing []int) {
	sk := j.socks[i]
	for k := range sk.reqs {
		g := sk.groups.of[k]
		copies, _ := sk.requestCopies(g)
		if sk.groups.rank[k] == 0 && counts[g] > sk.sends[g]+copies {
			observed := fmt.Sprintf("%d replies to %s", counts[g], plural(sk.sends[g], "send"))
			if copies > 0 {
				observed += fmt.Sprintf(" and %d the network made of them", copies)
			}
			j.add(udpFinding{socket: i, datagram: k, id: "UDP-ONCE", kind: "duplicate",
				expected: "at most one reply per datagram sent", observed: observed})
		}
		if sk.tries[k] > 0 && counts[g] <= sk.groups.rank[k] {
			missing = append(missing, k)
		}
	}
	return missing
}

// judgeMissing records that datagram k of socket i got no reply; missing
// is every request of the socket left without one.
func (j *udpJudge) judgeMissing(i, k int, missing []int) {
	sk := j.socks[i]
	req := sk.reqs[k]
	observed := fmt.Sprintf("no reply after %d tries", sk.tries[k])
	if sk.tries[k] == 1 {
		observed = "no reply after 1 try"
	}
	loc := udpLoc{i, k}
	switch {
	case j.misdelivered[loc] > 0:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-CONCURRENT", kind: "missing",
			expected: "the reply on the socket that sent the request",
			observed: fmt.Sprintf("no reply here; it went to socket %d", j.misdeliverTo[loc])})
	case sk.connected && j.sourceSeen != "":
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-SOURCE", kind: "missing",
			expected: "a reply on a connected socket, which accepts only datagrams from the server's address",
			observed: fmt.Sprintf("%s; replies come from %s", observed, j.sourceSeen)})
	case sk.networkLost(k):
		// The network dropped the request or its reply: a loss, which
		// is no violation.
	case len(req) == 0 && len(sk.got) == 0 && len(missing) > 1:
		// Nothing came back to this socket at all: its silence is the
		// round trip's (the other request's finding), and says nothing of
		// empty datagrams in particular.
	case len(req) == 0 && len(sk.got) == 0 && (sk.tries[k] == SilentTries || j.newSocketSilent):
		// A lone empty datagram, left unanswered by a server seen
		// silent to new sockets: the round trip's failure.
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-ROUNDTRIP", kind: "missing",
			expected: "a zero-length reply to a zero-length datagram",
			observed: observed + " (the server was seen to answer no datagram of a new socket)"})
	case len(req) == 0:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-EMPTY", kind: "missing",
			expected: "a zero-length reply to a zero-length datagram", observed: observed})
	default:
		j.add(udpFinding{socket: i, datagram: k, id: "UDP-ROUNDTRIP", kind: "missing",
			expected: fmt.Sprintf("a reply of %s, %s", nBytes(len(sk.wants[k])), describeWant(len(req), j.max)),
			observed: observed, detail: "the request starts " + hexStart(req)})
	}
}

// judgeStray records a datagram d that socket i received and that is no
// request's expected reply, and returns missing without the request it
// answers, if it answers one of them.
func (j *udpJudge) judgeStray(i int, d []byte, missing []int) []int {
	sk := j.socks[i]
	among := missing
	if len(among) == 0 {
		among = nil // every request
	}
	k, p, related := closestRequest(d, sk.reqs, among)
	if len(j.socks) > 1 && !related {
		// Part of another socket's reply, rather than of one of ours?
		for o, other := range j.socks {
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
	// A datagram that does not resemble a request's reply (see
	// resembles) is an extra one when every request is answered, however
	// its first bytes happen to match, and when it shares no first byte
	// with an unanswered request's reply and is no mapping of its bytes
	// (see byteMapped).
	if k < 0 || (among == nil || p == 0 && !byteMapped(sk.reqs[k], d)) && (len(d) == 0 || !related) {
		what := "a zero-length datagram that answers no request"
		if len(d) > 0 {
			what = fmt.Sprintf("a %d-byte datagram that answers no request", len(d))
		}
		j.add(udpFinding{socket: i, datagram: -1, id: "UDP-ONCE", kind: "extra",
			expected: "no datagram but the replies to this socket's requests", observed: what,
			detail: "it starts " + hexStart(d), key: string(d)})
		return missing
	}
	j.add(classifyReply(i, k, sk.reqs[k], sk.wants[k], d, p, j.max))
	return slices.DeleteFunc(missing, func(m int) bool { return m == k })
}

// judgeUDPFinalProbe reports that a fresh socket was not answered after
// the script (err says how): UDP-SURVIVE's, unless it was answered with
// wrong content (see udpProbeID).
func judgeUDPFinalProbe(s UDPScript, err error) Violations {
	var vs Violations
	vs.add(udpProbeID(err), s.Case, "a fresh socket answered after the script", err.Error(), "new socket")
	return vs
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

// udpProbeError is a probe of a fresh socket that got a reply, but not
// upper(its request): the server is up, and the reply's content breaks
// the rule id.
type udpProbeError struct {
	text, id string
}

func (p *udpProbeError) Error() string { return p.text }

// udpProbeID is the requirement a failed probe of a fresh socket breaks:
// UDP-SURVIVE when it got no reply, the content rule its reply breaks when
// it got a wrong one.
func udpProbeID(err error) string {
	var p *udpProbeError
	if errors.As(err, &p) {
		return p.id
	}
	return string(ReqUDPSurvive)
}

// udpContentID is the rule that reply, to a request of a fresh socket,
// breaks by its content: a reply larger than the request UDP-ONCE's (it
// carries more than the answer), a shorter one UDP-SIZE's, a wrong byte
// UDP-BYTES's.
func udpContentID(req, reply []byte) string {
	switch {
	case len(reply) > len(req):
		return string(ReqUDPOnce)
	case len(reply) < len(req):
		return string(ReqUDPSize)
	}
	return string(ReqUDPBytes)
}
