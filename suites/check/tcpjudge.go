package check

import (
	"bytes"
	"fmt"

	"github.com/upcheck/upcheck/clients"
)

// tcpWants returns each connection's expected reply: upper of what it sent
// (nil for a connection that did not run).
func tcpWants(obs []*tcpConnObs) [][]byte {
	wants := make([][]byte, len(obs))
	for i, o := range obs {
		if o != nil {
			wants[i] = Upper(o.sent)
		}
	}
	return wants
}

// judgeTCP judges every connection of s by what it observed. When replies
// went to the wrong connections (see misrouted), every connection whose
// reply is too long or too short shows that, and breaks TCP-ISOLATION.
func judgeTCP(s TCPScript, obs []*tcpConnObs) Violations {
	wants := tcpWants(obs)
	cross := misrouted(obs, wants)
	var vs Violations
	for i, o := range obs {
		cvs := judgeTCPConn(s, o, wants, i)
		if cross && o != nil && len(o.got) != len(wants[i]) {
			for _, v := range cvs {
				if v.ID != string(ReqTCPBytes) {
					v.ID = string(ReqTCPIsolation)
				}
			}
		}
		vs = append(vs, cvs...)
	}
	return vs
}

// misrouted reports whether replies went to the wrong connections: some
// connections got more than their reply while others missed part of
// theirs, and the bytes in excess are, value for value, among those the
// others missed (or are another connection's, see foreign).
func misrouted(obs []*tcpConnObs, wants [][]byte) bool {
	var excess, missing [256]int
	extra := false
	for i, o := range obs {
		if o == nil {
			continue
		}
		want, got := wants[i], o.got
		if len(got) > len(want) {
			extra = true
			for _, b := range got[len(want):] {
				excess[b]++
			}
			if d := firstDiff(want, got); d >= 0 && d < len(got) && foreign(got[d:], wants, i) {
				return true
			}
		} else if d := firstDiff(want, got); d >= 0 && d < len(got) && foreign(got[d:], wants, i) {
			return true
		}
		if len(got) < len(want) {
			for _, b := range want[len(got):] {
				missing[b]++
			}
		}
	}
	if !extra {
		return false
	}
	for b := range 256 {
		if excess[b] > missing[b] {
			return false
		}
	}
	return true
}

// judgeConnect reports connection idx of s refused: its connect failed
// with err.
func judgeConnect(s TCPScript, idx int, err error) Violations {
	var vs Violations
	vs.add(s.idOr("TCP-CHURN"), s.Case, fmt.Sprintf("connection %d to be accepted", idx), "connect failed: "+clients.DescribeErr(err), "")
	return vs
}

// judgeFinalProbe reports that a new connection was not served after the
// script (err says how), under id, the rule that the server keeps serving
// after such endings, whatever requirement s checks: its own connections
// were served correctly. A probe whose reply was lost at the end of its
// stream breaks TCP-EOF instead (see probeID).
func judgeFinalProbe(s TCPScript, id string, err error) Violations {
	var vs Violations
	vs.add(probeID(id, err), s.Case, "a new connection served after the script's connections ended", err.Error(), "")
	return vs
}

// endingID is the requirement a server breaks that no longer serves new
// connections after s's connections ended: TCP-RESET when one of them
// reset, TCP-DISCONNECT when one closed abruptly, and TCP-CHURN otherwise.
func (s TCPScript) endingID() string {
	id := "TCP-CHURN"
	for _, cs := range s.Conns {
		switch cs.terminal() {
		case Reset:
			id = "TCP-RESET"
		case Close:
			if id != "TCP-RESET" {
				id = "TCP-DISCONNECT"
			}
		}
	}
	return id
}

// connWhere locates a finding on connection idx, at a step (-1: none),
// with extra detail ("": none).
func connWhere(idx, step int, extra string) string {
	w := fmt.Sprintf("connection %d", idx)
	if step >= 0 {
		w += fmt.Sprintf(" step %d", step)
	}
	if extra != "" {
		w += ", " + extra
	}
	return w
}

// judgeTCPConn compares what connection idx got with what it should have,
// given every connection's expected reply (for cross-talk). A wrong byte
// is judged first, whatever the ending; then a failed write, a stalled
// Read, and, for a script that half-closes, the end of the stream.
//
// Each finding names the requirement it breaks, which is not always the
// script's own: a stream that does not end, or is reset, after a complete
// reply breaks TCP-EOF whatever the script checks; silence on a lone
// connection breaks TCP-ROUNDTRIP (open) or TCP-EOF (half-closed); silence
// while other connections are open is a finding about service under load,
// TCP-CONCURRENT's, unless an earlier check already explained it (s.has).
// Wrong bytes break the rule their kind of difference breaks, whatever the
// script checks (see classifyWrong); a write refused, or a Read cut by
// the end of the stream, is the script's own.
func judgeTCPConn(s TCPScript, o *tcpConnObs, wants [][]byte, idx int) Violations {
	var vs Violations
	want, got := wants[idx], o.got
	// A byte that is wrong, or a reply longer than the request, is a
	// violation whatever the ending.
	if d := firstDiff(want, got); d >= 0 && d < len(got) {
		id, observed := classifyWrong(o.sent, want, got, d, wants, idx)
		vs.add(id, s.Case, "upper(request), "+nBytes(len(want)), observed, connWhere(idx, -1, DiffBytes(want, got)))
		return vs
	}
	if o.writeErr != nil && o.writeStep >= 0 && o.script.Steps[o.writeStep].Op == Write {
		id := s.idOr("TCP-STREAM")
		observed := "write failed: " + clients.DescribeErr(o.writeErr)
		if s.ID != "" && s.concurrent() && len(got) == 0 && clients.EndOf(o.writeErr) == clients.EndTimeout {
			// The server never served this connection, neither reading
			// nor answering it, while it served another: service under
			// load.
			id, observed = silenceID(s, NoRoundTrip), observed+slowHint
		}
		vs.add(id, s.Case, "every write accepted", observed,
			connWhere(idx, o.writeStep, fmt.Sprintf("after %d reply bytes", len(got))))
		return vs
	}
	if o.stall != nil {
		id, observed := s.idOr("TCP-ROUNDTRIP"), describeStall(*o.stall, o.end)
		if s.ID != "" && !o.stall.ended {
			id = string(ReqTCPRoundTrip)
			if s.concurrent() {
				id = silenceID(s, NoRoundTrip)
			}
			if id == string(ReqTCPConcurrent) {
				observed += slowHint
			}
		}
		vs.add(id, s.Case, "every byte written so far to come back without closing", observed, connWhere(idx, o.stall.step, ""))
		return vs
	}
	if o.script.terminal() == HalfClose {
		vs = append(vs, judgeEOF(s, o, want, idx)...)
	}
	return vs
}

// smallRequest is the largest request whose reply, owed in full after the
// half-close and not begun within T, shows a server that does not answer
// (Unanswered) rather than one that is slow to answer a large request.
const smallRequest = 64 << 10

// slowHint ends the observation of a connection left in silence while the
// server served others: slow, not wrong, as far as the bytes go.
const slowHint = " (slow, not wrong: the server served other connections meanwhile; a server that is only slow passes with UPCHECK_TIME_SCALE=3)"

// slowLargeHint ends the observation of a large request left without any
// reply for T after its half-close: a server that answers at the end of
// the stream may only be slow to.
const slowLargeHint = " (maybe slow rather than wrong, for a large request; a server that is only slow passes with UPCHECK_TIME_SCALE=3)"

// silenceID is the requirement that silence on one of several connections
// at once breaks: the one whose confirmed fault f (or NotConcurrent)
// explains it, else TCP-CONCURRENT's liveness under load.
// A server that answered no connection at all is silent whatever the
// concurrency: that is f's requirement too.
func silenceID(s TCPScript, f Finding) string {
	switch {
	case s.has(f) || !s.served:
		if f == NoRoundTrip {
			return string(ReqTCPRoundTrip)
		}
		return string(ReqTCPEOF)
	}
	return string(ReqTCPConcurrent)
}

// anyServed reports whether the server answered any of the connections:
// one got a byte of its reply.
func anyServed(obs []*tcpConnObs) bool {
	for _, o := range obs {
		if o != nil && len(o.got) > 0 && len(o.sent) > 0 && Upper(o.sent[:1])[0] == o.got[0] {
			return true
		}
	}
	return false
}

// silent reports whether a connection of obs was left in silence: a Read
// or its half-close got no further byte within the wait.
func silent(obs []*tcpConnObs) bool {
	for _, o := range obs {
		if o != nil && (o.stall != nil && !o.stall.ended || o.noEOF) {
			return true
		}
	}
	return false
}

// judgeEOF judges the end of a connection that half-closed: the whole
// reply, then an orderly EOF. Its reply so far is right (judgeTCPConn
// judged the bytes), so with s.ID set whatever is wrong here is TCP-EOF's,
// whichever script saw it: a lost tail, a reset, silence after the
// half-close; only silence among several connections that the server
// otherwise served is TCP-CONCURRENT's.
func judgeEOF(s TCPScript, o *tcpConnObs, want []byte, idx int) Violations {
	var vs Violations
	got := o.got
	eof := s.idOr(string(ReqTCPEOF))
	if s.ID != "" {
		eof = string(ReqTCPEOF)
	}
	// A reset that came before the half-close and cut the reply short is
	// judged as one after it would be, by the reply.
	cutBefore := o.halfCloseFoundReset() && len(got) < len(want)
	switch {
	case o.writeErr != nil && !cutBefore:
		vs.add(s.idOr("TCP-EOF"), s.Case, "half-close accepted", "half-close failed: "+clients.DescribeErr(o.writeErr), connWhere(idx, o.writeStep, ""))
	case len(got) < len(want):
		how, id := o.end.String(), s.idOr("TCP-EOF")
		if cutBefore {
			how = "reset (before the half-close)"
		}
		switch {
		case o.noEOF:
			how = "no further byte within the timeout"
			if s.ID != "" {
				id = eof
				if s.concurrent() {
					id = silenceID(s, unansweredOr(got))
				}
				switch {
				case id == string(ReqTCPConcurrent):
					how += slowHint
				case len(got) == 0 && len(want) > smallRequest:
					how += slowLargeHint
				}
			}
		case s.midStream:
			// The reply so far is right, and a client that waits does
			// not get the rest either: the stream lost it, whatever
			// the ending.
			id = string(ReqTCPStream)
			how += " (a new connection that waited for the same request's reply, without half-closing, did not get it whole either: lost in the stream, not at its end)"
		default:
			// The reply so far is right (a wrong byte is judged above):
			// its tail was lost at the end of the stream, by an orderly
			// close that came too soon or an abortive one that threw away
			// what the server had still to send.
			id = eof
		}
		vs.add(id, s.Case, fmt.Sprintf("all %d reply bytes, then EOF", len(want)),
			fmt.Sprintf("%d reply bytes, then %s", len(got), how), connWhere(idx, -1, DiffBytes(want, got)))
	case o.noEOF:
		vs.add(eof, s.Case, "EOF after the reply", "no EOF within the timeout", connWhere(idx, -1, fmt.Sprintf("after %d reply bytes", len(got))))
	case o.end != clients.EndEOF:
		vs.add(eof, s.Case, "EOF after the reply", describeEnd(o.end, o.endErr), connWhere(idx, -1, fmt.Sprintf("after %d reply bytes", len(got))))
	}
	return vs
}

// unansweredOr is the finding that explains a connection's silence after
// its half-close: Unanswered when it got nothing, NoEOF when it got part of
// its reply (a server that holds connections open).
func unansweredOr(got []byte) Finding {
	if len(got) == 0 {
		return Unanswered
	}
	return NoEOF
}

// tcpFindings returns the faults s's connections confirmed, for the checks
// after it (see Findings): only what its violations blame on TCP-EOF or
// TCP-ROUNDTRIP, or on TCP-CONCURRENT among several connections.
func tcpFindings(s TCPScript, obs []*tcpConnObs, vs Violations) []Finding {
	var fs []Finding
	blamed := map[string]bool{}
	for _, v := range vs {
		blamed[v.ID] = true
	}
	for _, o := range obs {
		if o == nil {
			continue
		}
		want := Upper(o.sent)
		switch {
		case o.stall != nil && !o.stall.ended && blamed[string(ReqTCPRoundTrip)]:
			fs = append(fs, NoRoundTrip)
		case (o.stall != nil && !o.stall.ended || o.writeErr != nil || o.noEOF) && blamed[string(ReqTCPConcurrent)]:
			fs = append(fs, NotConcurrent)
		case o.noEOF && len(o.got) >= len(want) && blamed[string(ReqTCPEOF)]:
			fs = append(fs, NoEOF)
		case o.noEOF && len(o.got) == 0 && len(o.sent) <= smallRequest && blamed[string(ReqTCPEOF)]:
			// Only a small request: a large one may take a server that
			// answers at the end of the stream longer than T to answer.
			fs = append(fs, Unanswered)
		}
	}
	return fs
}

// classifyWrong attributes a reply byte that differs from upper(request) at
// offset d to the requirement its symptom breaks.
func classifyWrong(sent, want, got []byte, d int, wants [][]byte, idx int) (id, observed string) {
	if len(got) > len(want) && d == len(want) {
		if foreign(got[d:], wants, idx) {
			return "TCP-ISOLATION", fmt.Sprintf("%d extra bytes after the reply, from another connection's reply", len(got)-len(want))
		}
		return "TCP-STREAM", fmt.Sprintf("%d extra bytes after the %d-byte reply", len(got)-len(want), len(want))
	}
	if foreign(got[d:], wants, idx) {
		return "TCP-ISOLATION", fmt.Sprintf("another connection's bytes at offset %d", d)
	}
	if !byteMapped(sent, got) && !caseSlips(sent, got) {
		// Bytes added, lost or moved: the stream is wrong, whatever the
		// values.
		return "TCP-STREAM", fmt.Sprintf("reply differs from upper(request) from offset %d (%d bytes where %d were due)", d, len(got), len(want))
	}
	in, out := sent[d], got[d]
	if len(got) != len(want) && !isLower(in) {
		if from, to, ok := replaced(want, got, d); ok {
			// The length changed: say exactly what the bytes became.
			if len(to) == 0 {
				return "TCP-BYTES", fmt.Sprintf("%s %s dropped", plural(len(from), "byte"), hexStart(from))
			}
			return "TCP-BYTES", fmt.Sprintf("%s %s became %s %s", plural(len(from), "byte"), hexStart(from), theBytes(len(to)), hexStart(to))
		}
	}
	switch {
	case isLower(in) && out == in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x (%q) not uppercased", in, in)
	case !isLower(in) && out != in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x changed to 0x%02x", in, out)
	case isLower(in):
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x (%q) became 0x%02x", in, in, out)
	}
	return "TCP-STREAM", fmt.Sprintf("reply differs from upper(request) from offset %d", d)
}

// caseSlips reports whether got is upper(sent), or a prefix of it, but for
// bytes left as sent or given the other case of their letter, at the
// offsets of the request: a case mapping applied to some bytes and not to
// others, which is wrong values at the right places.
func caseSlips(sent, got []byte) bool {
	if len(got) > len(sent) {
		return false
	}
	for i, g := range got {
		in := sent[i]
		letter := isLower(in | 0x20)
		if g != Upper(sent[i : i+1])[0] && g != in && !(letter && g|0x20 == in|0x20) {
			return false
		}
	}
	return true
}

// maxMapped is the longest sequence byteMapped lets one byte value become:
// a byte taken for a UTF-8 code point comes back as up to 4 bytes.
const maxMapped = 4

// byteMapped reports whether got is sent put through some byte mapping,
// or a prefix of that: each byte value replaced, wherever it occurs, by
// the same sequence of at most maxMapped bytes (upper's one byte, for
// most). A wrong mapping of byte values (TCP-BYTES) gives such a reply;
// bytes added, lost or moved in the stream (TCP-STREAM), or another
// connection's, do not.
func byteMapped(sent, got []byte) bool {
	m := byteMap{sent: sent, got: got}
	_, j, ok := m.walk(0, 0, len(sent), -1)
	return ok && j >= len(got)
}

// byteMap is a byte mapping learned while walking a request and its reply.
type byteMap struct {
	sent, got []byte
	table     [256][]byte
	known     [256]bool
	// try is width's scratch copy, made on width's first call and reused:
	// a copy per width tried would cost the heap kilobytes for each
	// value of each reply judged, a flood of strays megabytes.
	try *byteMap
}

// lookahead is how many request bytes byteMap.width tries each width on.
const lookahead = 64

// walk follows the mapping from sent[i] and got[j] over at most n bytes of
// sent, learning each value the first time it occurs: upper(value) when
// the reply shows it, else a sequence of width bytes (-1: the width that
// goes furthest, see width). It returns where it stopped in both, and
// false when the reply contradicts the mapping (a value mapped two ways,
// or bytes left over after the request's).
func (m *byteMap) walk(i, j, n, width int) (int, int, bool) {
	end := min(len(m.sent), i+n)
	for ; i < end; i++ {
		if j >= len(m.got) {
			return i, j, true
		}
		b := m.sent[i]
		if m.known[b] {
			seq := m.table[b]
			k := min(len(seq), len(m.got)-j)
			if !bytes.Equal(m.got[j:j+k], seq[:k]) {
				return i, j, false
			}
			j += len(seq)
			continue
		}
		l := 1
		last := i == len(m.sent)-1
		switch u := Upper([]byte{b})[0]; {
		case last && b >= 0x80 && len(m.got)-j > 1:
			// A byte outside ASCII, taken for a code point, can
			// become several bytes, its own first among them.
			l = len(m.got) - j
		case m.got[j] == u:
		case last:
			l = len(m.got) - j
		case width >= 0:
			l = width
		default:
			l = m.width(i, j)
		}
		if l > maxMapped {
			return i, j, false
		}
		l = min(l, len(m.got)-j)
		m.table[b], m.known[b] = m.got[j:j+l], true
		j += l
	}
	if end == len(m.sent) && j < len(m.got) {
		return i, j, false
	}
	return i, j, true
}

// width picks how many reply bytes sent[i], a value whose reply at got[j]
// is not upper(value), becomes: the width with which a walk over the next
// lookahead bytes, giving every new wrong value that width too (one byte
// after a value dropped), goes
// furthest, and among those the one that needs the fewest distinct
// sequences besides upper(value) and the value left as it was (a mapping
// that sends many values to one replacement is simpler than one that cuts
// that replacement into pieces); the same width first, then none, then
// longer ones.
func (m *byteMap) width(i, j int) int {
	best, bestStop, bestSeqs := 1, -1, 0
	if m.try == nil {
		m.try = new(byteMap)
	}
	try := m.try
	for _, w := range []int{1, 0, 2, 3, 4} {
		*try = *m
		try.try = nil // a walk of a fixed width never calls width
		try.table[m.sent[i]], try.known[m.sent[i]] = m.got[j:min(j+w, len(m.got))], true
		// A value dropped is one value's fault: the walk gives the next
		// new wrong values one byte each.
		stop, _, ok := try.walk(i+1, j+w, lookahead, max(w, 1))
		if ok {
			stop = len(m.sent) + 1
		}
		seqs := map[string]bool{}
		for v := range 256 {
			if seq := try.table[v]; try.known[v] && !m.known[v] && !bytes.Equal(seq, Upper([]byte{byte(v)})) && !bytes.Equal(seq, []byte{byte(v)}) {
				seqs[string(try.table[v])] = true
			}
		}
		if stop > bestStop || stop == bestStop && len(seqs) < bestSeqs {
			best, bestStop, bestSeqs = w, stop, len(seqs)
		}
	}
	return best
}

// replaced finds, when want and got differ from offset d on and share
// everything after, the bytes of want that got has in their place: want =
// p+from+q and got = p+to+q, with p the d bytes before. It reports false
// when no such split exists within a short excerpt.
func replaced(want, got []byte, d int) (from, to []byte, ok bool) {
	s := 0
	for s < len(want)-d && s < len(got)-d && want[len(want)-1-s] == got[len(got)-1-s] {
		s++
	}
	from, to = want[d:len(want)-s], got[d:len(got)-s]
	if len(from) == 0 || len(from) > excerpt || len(to) > excerpt {
		return nil, nil, false
	}
	return from, to, true
}

// theBytes says "the byte" or "the 3 bytes".
func theBytes(n int) string {
	if n == 1 {
		return "the byte"
	}
	return fmt.Sprintf("the %d bytes", n)
}

// foreign reports whether the bytes at the start of b (at least 8 of them)
// occur in another connection's expected reply: a sign of cross-talk.
func foreign(b []byte, wants [][]byte, idx int) bool {
	n := min(len(b), 16)
	if n < 8 {
		return false
	}
	for j, w := range wants {
		if j != idx && bytes.Contains(w, b[:n]) && !bytes.Contains(wants[idx], b[:n]) {
			return true
		}
	}
	return false
}

// judgeProxied judges s's connections through a proxy with faults f: as
// judgeTCPConn does, except that a connection the proxy reset is judged by
// judgeReset. Resets the proxy injected because the server refused it are
// the server's refusals.
func judgeProxied(s TCPScript, f NetFaults, o proxiedObs) Violations {
	var vs Violations
	if o.refused > 0 {
		// The proxy resets a client whose server it cannot reach: those
		// resets are the server's refusals, not injected faults.
		vs.add(s.idOr("TCP-CHURN"), s.Case, "every connection accepted", fmt.Sprintf("the server refused %s from the proxy", plural(int(o.refused), "connection")), "")
		return vs
	}
	wants := tcpWants(o.conns)
	for i, c := range o.conns {
		switch {
		case c == nil:
		case o.injected[i] && c.sawReset():
			vs = append(vs, judgeReset(s, f, c, wants, i)...)
		default:
			vs = append(vs, judgeTCPConn(s, c, wants, i)...)
		}
	}
	return vs
}

// judgeReset judges a connection the network reset: what arrived must be a
// prefix of upper(sent), and exactly Down.ResetAt bytes long when the reply
// direction alone is reset and the server owed more.
func judgeReset(s TCPScript, f NetFaults, o *tcpConnObs, wants [][]byte, idx int) Violations {
	want, got := wants[idx], o.got
	if d := firstDiff(want, got); d >= 0 && d < len(got) {
		// A wrong byte: judgeTCPConn says which rule it breaks.
		return judgeTCPConn(s, o, wants, idx)
	}
	var vs Violations
	if k := f.Down.ResetAt; f.Down.Reset && !f.Up.Reset && int64(len(want)) > k && int64(len(got)) != k {
		vs.add(s.idOr("TCP-STREAM"), s.Case, fmt.Sprintf("%s of upper(request), then the proxy's reset", nBytes(int(k))),
			fmt.Sprintf("%s, then a reset", nBytes(len(got))), fmt.Sprintf("connection %d, %d bytes sent", idx, len(o.sent)))
	}
	return vs
}
