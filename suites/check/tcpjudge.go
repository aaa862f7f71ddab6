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

// judgeTCP judges every connection of s by what it observed.
func judgeTCP(s TCPScript, obs []*tcpConnObs) Violations {
	wants := tcpWants(obs)
	var vs Violations
	for i, o := range obs {
		vs = append(vs, judgeTCPConn(s, o, wants, i)...)
	}
	return vs
}

// judgeConnect reports connection idx of s refused: its connect failed
// with err.
func judgeConnect(s TCPScript, idx int, err error) Violations {
	var vs Violations
	vs.add(s.idOr("TCP-CHURN"), s.Case, fmt.Sprintf("connection %d to be accepted", idx), "connect failed: "+clients.DescribeErr(err), "")
	return vs
}

// judgeFinalProbe reports that a new connection was not served after the
// script (err says how), under id unless s names its requirement.
func judgeFinalProbe(s TCPScript, id string, err error) Violations {
	var vs Violations
	vs.add(s.idOr(id), s.Case, "a new connection served after the script's connections ended", err.Error(), "")
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
func judgeTCPConn(s TCPScript, o *tcpConnObs, wants [][]byte, idx int) Violations {
	var vs Violations
	want, got := wants[idx], o.got
	// A byte that is wrong, or a reply longer than the request, is a
	// violation whatever the ending.
	if d := firstDiff(want, got); d >= 0 && d < len(got) {
		id, observed := classifyWrong(o.sent, want, got, d, wants, idx)
		vs.add(s.idOr(id), s.Case, "upper(request), "+nBytes(len(want)), observed, connWhere(idx, -1, DiffBytes(want, got)))
		return vs
	}
	if o.writeErr != nil && o.writeStep >= 0 && o.script.Steps[o.writeStep].Op == Write {
		vs.add(s.idOr("TCP-STREAM"), s.Case, "every write accepted", "write failed: "+clients.DescribeErr(o.writeErr),
			connWhere(idx, o.writeStep, fmt.Sprintf("after %d reply bytes", len(got))))
		return vs
	}
	if o.stall != nil {
		vs.add(s.idOr("TCP-ROUNDTRIP"), s.Case, "every byte written so far to come back without closing", describeStall(*o.stall, o.end), connWhere(idx, o.stall.step, ""))
		return vs
	}
	if o.script.terminal() == HalfClose {
		vs = append(vs, judgeEOF(s, o, want, idx)...)
	}
	return vs
}

// judgeEOF judges the end of a connection that half-closed: the whole
// reply, then an orderly EOF.
func judgeEOF(s TCPScript, o *tcpConnObs, want []byte, idx int) Violations {
	var vs Violations
	got := o.got
	switch {
	case o.writeErr != nil:
		vs.add(s.idOr("TCP-EOF"), s.Case, "half-close accepted", "half-close failed: "+clients.DescribeErr(o.writeErr), connWhere(idx, o.writeStep, ""))
	case len(got) < len(want):
		how := o.end.String()
		if o.noEOF {
			how = "no further byte within the timeout"
		}
		vs.add(s.idOr("TCP-EOF"), s.Case, fmt.Sprintf("all %d reply bytes, then EOF", len(want)),
			fmt.Sprintf("%d reply bytes, then %s", len(got), how), connWhere(idx, -1, DiffBytes(want, got)))
	case o.noEOF:
		vs.add(s.idOr("TCP-EOF"), s.Case, "EOF after the reply", "no EOF within the timeout", connWhere(idx, -1, fmt.Sprintf("after %d reply bytes", len(got))))
	case o.end != clients.EndEOF:
		vs.add(s.idOr("TCP-EOF"), s.Case, "EOF after the reply", describeEnd(o.end, o.endErr), connWhere(idx, -1, fmt.Sprintf("after %d reply bytes", len(got))))
	}
	return vs
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
	in, out := sent[d], got[d]
	switch {
	case isLower(in) && out == in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x (%q) not uppercased", in, in)
	case !isLower(in) && out != in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x changed to 0x%02x", in, out)
	}
	return "TCP-STREAM", fmt.Sprintf("reply differs from upper(request) from offset %d", d)
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
