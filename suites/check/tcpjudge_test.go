package check

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/upcheck/upcheck/clients"
)

// Steps and connections for hand-built observations.
func tw(s string) TCPStep { return TCPStep{Op: Write, Data: []byte(s)} }

var (
	tRead      = TCPStep{Op: Read}
	tHalfClose = TCPStep{Op: HalfClose}
	tReset     = TCPStep{Op: Reset}
	tClose     = TCPStep{Op: Close}
)

// tconn is the observation of a connection whose script is steps, that
// sent sent and got got, then the stream ended as end says.
func tconn(sent, got string, end clients.End, steps ...TCPStep) *tcpConnObs {
	return &tcpConnObs{script: TCPConnScript{Steps: steps}, sent: []byte(sent), got: []byte(got), end: end, writeStep: -1}
}

// with returns o changed by f, for the variations of one observation.
func with(o *tcpConnObs, f func(*tcpConnObs)) *tcpConnObs {
	f(o)
	return o
}

var (
	errReset   = &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}
	errPipe    = &os.SyscallError{Syscall: "write", Err: syscall.EPIPE}
	errNotConn = &os.SyscallError{Syscall: "shutdown", Err: syscall.ENOTCONN}
)

// joined is the text of vs, one violation a line ("" for none).
func joined(vs Violations) string { return vs.Error() }

// TestJudgeTCP judges hand-built observations: every violation the TCP
// judge reports, with its exact text, and the endings it accepts.
func TestJudgeTCP(t *testing.T) {
	s := TCPScript{Case: "c"}
	twelve := "abcdefghijkl"
	for _, tt := range []struct {
		name string
		s    TCPScript
		obs  []*tcpConnObs
		want string
	}{
		{"whole reply then EOF", s, []*tcpConnObs{tconn("hello", "HELLO", clients.EndEOF, tw("hello"), tHalfClose)}, ""},
		{"reset after a prefix", s, []*tcpConnObs{tconn("hello", "HE", clients.EndReset, tw("hello"), tReset)}, ""},
		{"closed before any reply", s, []*tcpConnObs{tconn("hello", "", clients.EndTimeout, tw("hello"), tClose)}, ""},
		{"no ending step, every reply", s, []*tcpConnObs{tconn("hi", "HI", clients.EndTimeout, tw("hi"))}, ""},
		{"a byte not uppercased", s,
			[]*tcpConnObs{tconn("hello", "HELlO", clients.EndEOF, tw("hello"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 5 bytes; observed byte 0x6c ('l') not uppercased; " +
				"connection 0, first difference at offset 3: want 48 45 4c|4c 4f (end), got 48 45 4c|6c 4f (end)"},
		{"a byte changed", s,
			[]*tcpConnObs{tconn("a-b", "A_B", clients.EndEOF, tw("a-b"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 3 bytes; observed byte 0x2d changed to 0x5f; " +
				"connection 0, first difference at offset 1: want 41|2d 42 (end), got 41|5f 42 (end)"},
		{"a letter mapped wrongly", s,
			[]*tcpConnObs{tconn("ab", "AC", clients.EndEOF, tw("ab"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 2 bytes; observed byte 0x62 ('b') became 0x43; " +
				"connection 0, first difference at offset 1: want 41|42 (end), got 41|43 (end)"},
		{"extra bytes", s,
			[]*tcpConnObs{tconn("ab", "ABAB", clients.EndEOF, tw("ab"), tHalfClose)},
			"TCP-STREAM [c]: expected upper(request), 2 bytes; observed 2 extra bytes after the 2-byte reply; " +
				"connection 0, first difference at offset 2: want 41 42|(end), got 41 42|41 42 (end)"},
		{"another connection's reply after the reply", s,
			[]*tcpConnObs{
				tconn("ab", "AB"+strings.ToUpper(twelve), clients.EndEOF, tw("ab"), tHalfClose),
				tconn(twelve, strings.ToUpper(twelve), clients.EndEOF, tw(twelve), tHalfClose),
			},
			"TCP-ISOLATION [c]: expected upper(request), 2 bytes; observed 12 extra bytes after the reply, from another connection's reply; " +
				"connection 0, first difference at offset 2: want 41 42|(end), got 41 42|41 42 43 44 45 46 47 48 49 4a 4b 4c (end)"},
		{"another connection's bytes within the reply", s,
			[]*tcpConnObs{
				tconn("zzzzzzzzzzzz", strings.ToUpper(twelve), clients.EndEOF, tw("zzzzzzzzzzzz"), tHalfClose),
				tconn(twelve, strings.ToUpper(twelve), clients.EndEOF, tw(twelve), tHalfClose),
			},
			"TCP-ISOLATION [c]: expected upper(request), 12 bytes; observed another connection's bytes at offset 0; " +
				"connection 0, first difference at offset 0: want |5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a (end), got |41 42 43 44 45 46 47 48 49 4a 4b 4c (end)"},
		{"a write refused", s,
			[]*tcpConnObs{with(tconn("ab", "AB", clients.EndReset, tw("ab"), tw("cd"), tHalfClose), func(o *tcpConnObs) {
				o.writeErr, o.writeStep = errPipe, 1
			})},
			"TCP-STREAM [c]: expected every write accepted; observed write failed: broken pipe; connection 0 step 1, after 2 reply bytes"},
		{"a Read that timed out", s,
			[]*tcpConnObs{with(tconn("abc", "A", clients.EndTimeout, tw("abc"), tRead, tHalfClose), func(o *tcpConnObs) {
				o.stall = &tcpStall{step: 1, want: 3, total: 1}
			})},
			"TCP-ROUNDTRIP [c]: expected every byte written so far to come back without closing; observed 1 of 3 reply bytes, then no further byte within the timeout; connection 0 step 1"},
		{"a Read cut by the stream's end", s,
			[]*tcpConnObs{with(tconn("abc", "", clients.EndEOF, tw("abc"), tRead), func(o *tcpConnObs) {
				o.stall = &tcpStall{step: 2, want: 3, ended: true}
			})},
			"TCP-ROUNDTRIP [c]: expected every byte written so far to come back without closing; observed 0 of 3 reply bytes, then the stream ended (EOF); connection 0 step 2"},
		{"a half-close refused", s,
			[]*tcpConnObs{with(tconn("ab", "AB", clients.EndReset, tw("ab"), tHalfClose), func(o *tcpConnObs) {
				o.writeErr, o.writeStep = errNotConn, 1
			})},
			"TCP-EOF [c]: expected half-close accepted; observed half-close failed: shutdown: transport endpoint is not connected; connection 0 step 1"},
		{"a short reply, then a reset the half-close found", s,
			[]*tcpConnObs{with(tconn("abc", "AB", clients.EndReset, tw("abc"), tHalfClose), func(o *tcpConnObs) {
				o.writeErr, o.writeStep = errNotConn, 1
			})},
			"TCP-EOF [c]: expected all 3 reply bytes, then EOF; observed 2 reply bytes, then reset (before the half-close); " +
				"connection 0, first difference at offset 2: want 41 42|43 (end), got 41 42|(end)"},
		{"a short reply, then EOF", s,
			[]*tcpConnObs{tconn("abc", "AB", clients.EndEOF, tw("abc"), tHalfClose)},
			"TCP-EOF [c]: expected all 3 reply bytes, then EOF; observed 2 reply bytes, then EOF; " +
				"connection 0, first difference at offset 2: want 41 42|43 (end), got 41 42|(end)"},
		{"a short reply, then silence", s,
			[]*tcpConnObs{with(tconn("abc", "AB", clients.EndTimeout, tw("abc"), tHalfClose), func(o *tcpConnObs) { o.noEOF = true })},
			"TCP-EOF [c]: expected all 3 reply bytes, then EOF; observed 2 reply bytes, then no further byte within the timeout; " +
				"connection 0, first difference at offset 2: want 41 42|43 (end), got 41 42|(end)"},
		{"no EOF after the reply", s,
			[]*tcpConnObs{with(tconn("ab", "AB", clients.EndTimeout, tw("ab"), tHalfClose), func(o *tcpConnObs) { o.noEOF = true })},
			"TCP-EOF [c]: expected EOF after the reply; observed no EOF within the timeout; connection 0, after 2 reply bytes"},
		{"a reset after the reply", s,
			[]*tcpConnObs{tconn("ab", "AB", clients.EndReset, tw("ab"), tHalfClose)},
			"TCP-EOF [c]: expected EOF after the reply; observed a reset instead of an orderly close; connection 0, after 2 reply bytes"},
		{"reading stopped at the cap", s,
			[]*tcpConnObs{tconn("ab", "AB", clients.EndLimit, tw("ab"), tHalfClose)},
			"TCP-EOF [c]: expected EOF after the reply; observed bytes kept coming past the reply (reading stopped at the cap); connection 0, after 2 reply bytes"},
		{"the reader timed out", s,
			[]*tcpConnObs{tconn("ab", "AB", clients.EndTimeout, tw("ab"), tHalfClose)},
			"TCP-EOF [c]: expected EOF after the reply; observed no EOF within the timeout; connection 0, after 2 reply bytes"},
		{"the stream failed", s,
			[]*tcpConnObs{with(tconn("ab", "AB", clients.EndError, tw("ab"), tHalfClose), func(o *tcpConnObs) {
				o.endErr = errors.New("read tcp 127.0.0.1:5000->127.0.0.1:6000: no buffer space")
			})},
			"TCP-EOF [c]: expected EOF after the reply; observed the stream ended with an error: read tcp ADDR->ADDR: no buffer space; connection 0, after 2 reply bytes"},
		// A wrong byte value is TCP-BYTES's, whichever script sees it.
		{"the symptom's ID over the script's", TCPScript{ID: "TCP-ROUNDTRIP", Case: "c"},
			[]*tcpConnObs{tconn("hello", "HELlO", clients.EndEOF, tw("hello"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 5 bytes; observed byte 0x6c ('l') not uppercased; " +
				"connection 0, first difference at offset 3: want 48 45 4c|4c 4f (end), got 48 45 4c|6c 4f (end)"},
		{"one violation per connection", s,
			[]*tcpConnObs{
				tconn("ab", "AB", clients.EndReset, tw("ab"), tHalfClose),
				tconn("cd", "CD", clients.EndEOF, tw("cd"), tHalfClose),
				tconn("ef", "eF", clients.EndEOF, tw("ef"), tHalfClose),
			},
			"TCP-EOF [c]: expected EOF after the reply; observed a reset instead of an orderly close; connection 0, after 2 reply bytes\n" +
				"TCP-BYTES [c]: expected upper(request), 2 bytes; observed byte 0x65 ('e') not uppercased; " +
				"connection 2, first difference at offset 0: want |45 46 (end), got |65 46 (end)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := joined(judgeTCP(tt.s, tt.obs)); got != tt.want {
				t.Errorf("judgeTCP:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestJudgeTCPEnds covers the violations the run reports before or after
// judging the connections: a refused connect, and a server that no longer
// serves new connections, under the requirement the script's endings point
// to.
func TestJudgeTCPEnds(t *testing.T) {
	refused := &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}
	probe := errors.New("connect failed: connection refused")
	conns := func(ends ...TCPStep) TCPScript {
		s := TCPScript{Case: "c"}
		for _, e := range ends {
			s.Conns = append(s.Conns, TCPConnScript{Steps: []TCPStep{tw("a"), e}})
		}
		return s
	}
	for _, tt := range []struct {
		name string
		vs   Violations
		want string
	}{
		{"connect refused", judgeConnect(TCPScript{Case: "c"}, 3, refused),
			"TCP-CHURN [c]: expected connection 3 to be accepted; observed connect failed: connection refused"},
		{"connect refused, script's ID", judgeConnect(TCPScript{ID: "TCP-CONCURRENT", Case: "c"}, 0, refused),
			"TCP-CONCURRENT [c]: expected connection 0 to be accepted; observed connect failed: connection refused"},
		{"not served after orderly ends", judgeFinalProbe(conns(tHalfClose, tRead), conns(tHalfClose, tRead).endingID(), probe),
			"TCP-CHURN [c]: expected a new connection served after the script's connections ended; observed connect failed: connection refused"},
		{"not served after a close", judgeFinalProbe(conns(tHalfClose, tClose), conns(tHalfClose, tClose).endingID(), probe),
			"TCP-DISCONNECT [c]: expected a new connection served after the script's connections ended; observed connect failed: connection refused"},
		{"not served after a reset", judgeFinalProbe(conns(tReset, tClose), conns(tReset, tClose).endingID(), probe),
			"TCP-RESET [c]: expected a new connection served after the script's connections ended; observed connect failed: connection refused"},
		{"a reset outweighs a later close", judgeFinalProbe(conns(tClose, tReset, tClose), conns(tClose, tReset, tClose).endingID(), probe),
			"TCP-RESET [c]: expected a new connection served after the script's connections ended; observed connect failed: connection refused"},
	} {
		if got := joined(tt.vs); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestJudgeProxied judges connections run through a fault-injecting proxy:
// a reset the proxy injected excuses a short reply, but not a wrong byte
// nor one cut before the proxy's offset; a reset it did not inject is the
// server's.
func TestJudgeProxied(t *testing.T) {
	s := TCPScript{ID: "TCP-RESET", Case: "c"}
	down5 := NetFaults{Down: StreamFaults{Reset: true, ResetAt: 5}}
	up5 := NetFaults{Up: StreamFaults{Reset: true, ResetAt: 5}}
	reset := func(got string) *tcpConnObs {
		return tconn("abcdefghij", got, clients.EndReset, tw("abcdefghij"), tHalfClose)
	}
	for _, tt := range []struct {
		name string
		f    NetFaults
		o    proxiedObs
		want string
	}{
		{"reply reset at its offset", down5, proxiedObs{conns: []*tcpConnObs{reset("ABCDE")}, injected: map[int]bool{0: true}}, ""},
		{"request reset, any prefix", up5, proxiedObs{conns: []*tcpConnObs{reset("AB")}, injected: map[int]bool{0: true}}, ""},
		{"reset during connect", up5, proxiedObs{conns: []*tcpConnObs{nil, reset("")}, injected: map[int]bool{0: true, 1: true}}, ""},
		{"reply cut before the proxy's reset", down5, proxiedObs{conns: []*tcpConnObs{reset("ABC")}, injected: map[int]bool{0: true}},
			"TCP-RESET [c]: expected 5 bytes of upper(request), then the proxy's reset; observed 3 bytes, then a reset; connection 0, 10 bytes sent"},
		{"a wrong byte before the reset", down5, proxiedObs{conns: []*tcpConnObs{reset("ABcDE")}, injected: map[int]bool{0: true}},
			"TCP-BYTES [c]: expected upper(request), 10 bytes; observed byte 0x63 ('c') not uppercased; " +
				"connection 0, first difference at offset 2: want 41 42|43 44 45 46 47 48 49 4a (end), got 41 42|63 44 45 (end)"},
		// The server's own reset after the half-close, its reply
		// unfinished, breaks TCP-EOF, whatever the script checks.
		{"the server's own reset", down5, proxiedObs{conns: []*tcpConnObs{reset("ABCDE")}},
			"TCP-EOF [c]: expected all 10 reply bytes, then EOF; observed 5 reply bytes, then reset; " +
				"connection 0, first difference at offset 5: want 42 43 44 45|46 47 48 49 4a (end), got 42 43 44 45|(end)"},
		{"the server refused the proxy", down5, proxiedObs{conns: []*tcpConnObs{reset("")}, refused: 2},
			"TCP-RESET [c]: expected every connection accepted; observed the server refused 2 connections from the proxy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := joined(judgeProxied(s, tt.f, tt.o)); got != tt.want {
				t.Errorf("judgeProxied:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSawReset(t *testing.T) {
	for _, tt := range []struct {
		end  clients.End
		err  error
		want bool
	}{
		{clients.EndReset, nil, true},
		{clients.EndEOF, errReset, true},
		{clients.EndEOF, errPipe, true},
		{clients.EndTimeout, errNotConn, true},
		{clients.EndEOF, nil, false},
		{clients.EndTimeout, os.ErrDeadlineExceeded, false},
	} {
		o := &tcpConnObs{end: tt.end, writeErr: tt.err}
		if got := o.sawReset(); got != tt.want {
			t.Errorf("sawReset(end %v, write error %v) = %v, want %v", tt.end, tt.err, got, tt.want)
		}
	}
}

// TestJudgeTCPBlame checks that each finding of a spec's script counts
// against the requirement it breaks, not the spec's: an ending after a
// whole reply is TCP-EOF's, silence on a lone connection TCP-ROUNDTRIP's,
// silence among connections the server otherwise served TCP-CONCURRENT's
// (reported as slow), and wrong bytes the spec's own.
func TestJudgeTCPBlame(t *testing.T) {
	bytesSpec := TCPScript{ID: "TCP-BYTES", Case: "c"}
	isolation := TCPScript{ID: "TCP-ISOLATION", Case: "c", Conns: make([]TCPConnScript, 2)}
	served := isolation
	served.served = true
	stalled := func(sent string, step int, steps ...TCPStep) *tcpConnObs {
		return with(tconn(sent, "", clients.EndTimeout, steps...), func(o *tcpConnObs) {
			o.stall = &tcpStall{step: step, want: int64(len(sent))}
		})
	}
	noEOF := func(sent, got string) *tcpConnObs {
		return with(tconn(sent, got, clients.EndTimeout, tw(sent), tHalfClose), func(o *tcpConnObs) { o.noEOF = true })
	}
	for _, tt := range []struct {
		name string
		s    TCPScript
		obs  []*tcpConnObs
		want string
	}{
		{"no EOF after the whole reply", bytesSpec, []*tcpConnObs{noEOF("ab", "AB")},
			"TCP-EOF [c]: expected EOF after the reply; observed no EOF within the timeout; connection 0, after 2 reply bytes"},
		{"a reset after the whole reply", bytesSpec, []*tcpConnObs{tconn("ab", "AB", clients.EndReset, tw("ab"), tHalfClose)},
			"TCP-EOF [c]: expected EOF after the reply; observed a reset instead of an orderly close; connection 0, after 2 reply bytes"},
		{"a lone connection's read unanswered", bytesSpec, []*tcpConnObs{stalled("ab", 1, tw("ab"), tRead, tHalfClose)},
			"TCP-ROUNDTRIP [c]: expected every byte written so far to come back without closing; observed 0 of 2 reply bytes, then no further byte within the timeout; connection 0 step 1"},
		{"a lone connection unanswered after its half-close", bytesSpec, []*tcpConnObs{noEOF("ab", "")},
			"TCP-EOF [c]: expected all 2 reply bytes, then EOF; observed 0 reply bytes, then no further byte within the timeout; " +
				"connection 0, first difference at offset 0: want |41 42 (end), got |(end)"},
		{"a tail lost at the end of the stream", bytesSpec, []*tcpConnObs{tconn("ab", "A", clients.EndEOF, tw("ab"), tHalfClose)},
			"TCP-EOF [c]: expected all 2 reply bytes, then EOF; observed 1 reply bytes, then EOF; " +
				"connection 0, first difference at offset 1: want 41|42 (end), got 41|(end)"},
		{"silence among connections served otherwise", served, []*tcpConnObs{noEOF("ab", "AB"[:0]), tconn("cd", "CD", clients.EndEOF, tw("cd"), tHalfClose)},
			"TCP-CONCURRENT [c]: expected all 2 reply bytes, then EOF; observed 0 reply bytes, then no further byte within the timeout" + slowHint + "; " +
				"connection 0, first difference at offset 0: want |41 42 (end), got |(end)"},
		{"silence among connections never served", isolation, []*tcpConnObs{stalled("ab", 1, tw("ab"), tRead), stalled("cd", 1, tw("cd"), tRead)},
			"TCP-ROUNDTRIP [c]: expected every byte written so far to come back without closing; observed 0 of 2 reply bytes, then no further byte within the timeout; connection 0 step 1\n" +
				"TCP-ROUNDTRIP [c]: expected every byte written so far to come back without closing; observed 0 of 2 reply bytes, then no further byte within the timeout; connection 1 step 1"},
		{"a replaced byte, said exactly", bytesSpec, []*tcpConnObs{tconn("a\x80b", "A\xef\xbf\xbdB", clients.EndEOF, tw("a\x80b"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 3 bytes; observed 1 byte 80 became the 3 bytes ef bf bd; " +
				"connection 0, first difference at offset 1: want 41|80 42 (end), got 41|ef bf bd 42 (end)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := joined(judgeTCP(tt.s, tt.obs)); got != tt.want {
				t.Errorf("judgeTCP:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	// What the run records for later checks follows the blame.
	s := bytesSpec
	obs := []*tcpConnObs{noEOF("ab", "AB")}
	if fs := tcpFindings(s, obs, judgeTCP(s, obs)); len(fs) != 1 || fs[0] != NoEOF {
		t.Errorf("findings of a missing EOF = %v, want [%s]", fs, NoEOF)
	}
	obs = []*tcpConnObs{tconn("ab", "A", clients.EndEOF, tw("ab"), tHalfClose)}
	if fs := tcpFindings(s, obs, judgeTCP(s, obs)); len(fs) != 0 {
		t.Errorf("findings of a lost tail = %v, want none: it costs no wait", fs)
	}
}

// TestFindingsShared checks that a finding noted by one record is known to
// another reading the same file, as in a parallel run, and that a nil
// record knows nothing.
func TestFindingsShared(t *testing.T) {
	path := t.TempDir() + "/findings"
	a, b := NewFindings(path), NewFindings(path)
	if b.Has(NoEOF) {
		t.Fatal("a fresh record knows NoEOF")
	}
	a.Note(NoEOF)
	if !b.Has(NoEOF) || b.Has(NoRoundTrip) {
		t.Errorf("b.Has(NoEOF) = %v, b.Has(NoRoundTrip) = %v; want true, false", b.Has(NoEOF), b.Has(NoRoundTrip))
	}
	var none *Findings
	none.Note(NoEOF)
	if none.Has(NoEOF) {
		t.Error("a nil record knows NoEOF")
	}
	if got, want := (Env{Findings: a}).wait(NoEOF), knownWait; got != want {
		t.Errorf("wait once NoEOF is known = %s, want %s", got, want)
	}
	if got, want := (Env{Findings: a}).wait(NoRoundTrip), ReplyTimeout; got != want {
		t.Errorf("wait for an unknown finding = %s, want %s", got, want)
	}
}

// TestShortAtEnd: the connections whose short reply lostMidStream replays
// are those that half-closed, or found the connection reset when they came
// to, after writing everything: not a refused write, a stall, silence or a
// wrong byte.
func TestShortAtEnd(t *testing.T) {
	short := func() *tcpConnObs { return tconn("abc", "AB", clients.EndEOF, tw("abc"), tHalfClose) }
	for _, tt := range []struct {
		name string
		o    *tcpConnObs
		want bool
	}{
		{"short, then EOF", short(), true},
		{"short, then a reset the half-close found", with(short(), func(o *tcpConnObs) {
			o.end, o.writeErr, o.writeStep = clients.EndReset, errNotConn, 1
		}), true},
		{"the whole reply", tconn("abc", "ABC", clients.EndEOF, tw("abc"), tHalfClose), false},
		{"a wrong byte", tconn("abc", "AX", clients.EndEOF, tw("abc"), tHalfClose), false},
		{"a half-close that failed otherwise", with(short(), func(o *tcpConnObs) {
			o.writeErr, o.writeStep = errors.New("shutdown: bad file descriptor"), 1
		}), false},
		{"a write refused", with(short(), func(o *tcpConnObs) { o.writeErr, o.writeStep = errPipe, 0 }), false},
		{"silence after the half-close", with(short(), func(o *tcpConnObs) { o.noEOF = true }), false},
		{"no half-close", tconn("abc", "AB", clients.EndEOF, tw("abc"), tClose), false},
	} {
		if got := tt.o.shortAtEnd(); got != tt.want {
			t.Errorf("%s: shortAtEnd = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestJudgeByKind: a violation counts against the rule its kind of
// difference breaks, whichever requirement the script checks.
func TestJudgeByKind(t *testing.T) {
	st := TCPScript{ID: "TCP-STREAM", Case: "c"}
	rt := TCPScript{ID: "TCP-ROUNDTRIP", Case: "c"}
	mid := st
	mid.midStream = true
	cs := TCPScript{ID: "TCP-CONCURRENT", Case: "c"}
	for _, tt := range []struct {
		name string
		s    TCPScript
		obs  []*tcpConnObs
		want string
	}{
		{"bytes after the reply, in a round trip", rt,
			[]*tcpConnObs{tconn("hello", "HELLO\x00\x00\x00", clients.EndEOF, tw("hello"), tHalfClose)},
			"TCP-STREAM [c]: expected upper(request), 5 bytes; observed 3 extra bytes after the 5-byte reply; " +
				"connection 0, first difference at offset 5: want 45 4c 4c 4f|(end), got 45 4c 4c 4f|00 00 00 (end)"},
		{"a letter mapped to another byte, in a stream", st,
			[]*tcpConnObs{tconn("abcdefgh", "ABCDXXXX", clients.EndEOF, tw("abcdefgh"), tHalfClose)},
			"TCP-BYTES [c]: expected upper(request), 8 bytes; observed byte 0x65 ('e') became 0x58; " +
				"connection 0, first difference at offset 4: want 41 42 43 44|45 46 47 48 (end), got 41 42 43 44|58 58 58 58 (end)"},
		{"a chunk dropped mid-stream", st,
			[]*tcpConnObs{tconn("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZQRSTUVWXYZ", clients.EndEOF,
				tw("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"), tHalfClose)},
			"TCP-STREAM [c]: expected upper(request), 52 bytes; observed reply differs from upper(request) from offset 26 (36 bytes where 52 were due); " +
				"connection 0, first difference at offset 26: want 57 58 59 5a|41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50…, got 57 58 59 5a|51 52 53 54 55 56 57 58 59 5a (end)"},
		{"a short reply lost in the stream, not at its end", mid,
			[]*tcpConnObs{tconn("abc", "AB", clients.EndEOF, tw("abc"), tHalfClose)},
			"TCP-STREAM [c]: expected all 3 reply bytes, then EOF; observed 2 reply bytes, then EOF (a new connection that waited for the same request's reply, " +
				"without half-closing, did not get it whole either: lost in the stream, not at its end); connection 0, first difference at offset 2: want 41 42|43 (end), got 41 42|(end)"},
		{"a short reply lost in the stream, then a reset the half-close found", mid,
			[]*tcpConnObs{with(tconn("abc", "AB", clients.EndReset, tw("abc"), tHalfClose), func(o *tcpConnObs) {
				o.writeErr, o.writeStep = errNotConn, 1
			})},
			"TCP-STREAM [c]: expected all 3 reply bytes, then EOF; observed 2 reply bytes, then reset (before the half-close) (a new connection that waited for the same request's reply, " +
				"without half-closing, did not get it whole either: lost in the stream, not at its end); connection 0, first difference at offset 2: want 41 42|43 (end), got 41 42|(end)"},
		{"one connection's reply on another", cs,
			[]*tcpConnObs{
				tconn("ab", "ABAB", clients.EndEOF, tw("ab"), tHalfClose),
				tconn("ab", "", clients.EndEOF, tw("ab"), tHalfClose),
			},
			"TCP-ISOLATION [c]: expected upper(request), 2 bytes; observed 2 extra bytes after the 2-byte reply; connection 0, first difference at offset 2: want 41 42|(end), got 41 42|41 42 (end)\n" +
				"TCP-ISOLATION [c]: expected all 2 reply bytes, then EOF; observed 0 reply bytes, then EOF; connection 1, first difference at offset 0: want |41 42 (end), got |(end)"},
		{"extra bytes that no other connection missed", cs,
			[]*tcpConnObs{
				tconn("ab", "ABXY", clients.EndEOF, tw("ab"), tHalfClose),
				tconn("ab", "", clients.EndEOF, tw("ab"), tHalfClose),
			},
			"TCP-STREAM [c]: expected upper(request), 2 bytes; observed 2 extra bytes after the 2-byte reply; connection 0, first difference at offset 2: want 41 42|(end), got 41 42|58 59 (end)\n" +
				"TCP-EOF [c]: expected all 2 reply bytes, then EOF; observed 0 reply bytes, then EOF; connection 1, first difference at offset 0: want |41 42 (end), got |(end)"},
	} {
		vs := judgeTCP(tt.s, tt.obs)
		if got := joined(vs); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	probe := &probeError{text: `no reply to "a": EOF after 0 bytes`, lostAtEOF: true}
	if got, want := joined(judgeFinalProbe(TCPScript{Case: "c"}, "TCP-RESET", probe)),
		`TCP-EOF [c]: expected a new connection served after the script's connections ended; observed no reply to "a": EOF after 0 bytes`; got != want {
		t.Errorf("a probe's reply lost at the end of its stream:\n got %s\nwant %s", got, want)
	}
	closed := &probeError{text: `no reply to "a": EOF after 0 bytes, before the client's half-close`}
	if got := probeID("TCP-CHURN", closed); got != "TCP-CHURN" {
		t.Errorf("a probe closed before its half-close is %s's, want TCP-CHURN's", got)
	}
}

// TestByteMapped tells a wrong mapping of byte values (each value always
// becoming the same few bytes) from bytes added, lost or moved.
func TestByteMapped(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	var utf8ish []byte // each byte outside ASCII taken for an invalid code point
	for _, b := range all {
		if b >= 0x80 {
			utf8ish = append(utf8ish, 0xef, 0xbf, 0xbd)
		} else {
			utf8ish = append(utf8ish, Upper([]byte{b})...)
		}
	}
	alpha := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 100)
	up := Upper([]byte(alpha))
	echo := clients.Payload(0, 1024)
	for _, tt := range []struct {
		name      string
		sent, got []byte
		want      bool
	}{
		{"upper", []byte("hello"), []byte("HELLO"), true},
		{"left as sent", echo, echo, true},
		{"'z' not uppercased", []byte("the lazy zebra"), []byte("THE LAzY zEBRA"), true},
		{"bytes outside ASCII became 3 bytes each", all, utf8ish, true},
		{"a prefix of that", all, utf8ish[:300], true},
		{"a byte outside ASCII alone became 3", []byte{0xef}, []byte{0xef, 0xbf, 0xbd}, true},
		{"zeros after the reply", []byte("hello"), []byte("HELLO\x00\x00\x00\x00\x00"), false},
		{"a 1024-byte chunk lost", []byte(alpha), append(up[:1040:1040], up[2064:]...), false},
		{"zeros instead of a second reply", []byte("bystander beforebystander after"), append([]byte("BYSTANDER BEFORE"), make([]byte, 15)...), false},
	} {
		if got := byteMapped(tt.sent, tt.got); got != tt.want {
			t.Errorf("%s: byteMapped = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestByteMappedAllocatesLittle: judging a stray against a request, which
// a flood of strays makes the judge do thousands of times in a check whose
// memory is bounded, allocates a few kilobytes (one scratch mapping), not
// a copy of the mapping for every width tried at every new byte value.
func TestByteMappedAllocatesLittle(t *testing.T) {
	req := []byte("aaaaaqx-aaaaaaaaaaaaaaaaaaaaaaaa")
	stray := bytes.Repeat([]byte("F"), 100)
	const runs, most = 100, 16 << 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		byteMapped(req, stray)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > most {
		t.Errorf("byteMapped of a 32-byte request and a 100-byte stray allocates %d bytes a call, want at most %d", per, most)
	}
}
