package check

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/clients"
)

var udpServer = netip.MustParseAddrPort("127.0.0.1:9000")

// usock is the observation of an unconnected socket that sent each of reqs
// once and received got.
func usock(reqs []string, got ...clients.Datagram) *udpSocketObs {
	o := &udpSocketObs{server: udpServer, got: got}
	for _, r := range reqs {
		o.reqs = append(o.reqs, []byte(r))
		o.tries = append(o.tries, 1)
		o.sends = append(o.sends, 1)
	}
	return o
}

// csock is usock's connected twin.
func csock(reqs []string, got ...clients.Datagram) *udpSocketObs {
	o := usock(reqs, got...)
	o.connected = true
	return o
}

// dg is a datagram from the server carrying data.
func dg(data string) clients.Datagram {
	return clients.Datagram{Data: []byte(data), From: udpServer}
}

// dgFrom is a datagram carrying data from another source.
func dgFrom(data, from string) clients.Datagram {
	return clients.Datagram{Data: []byte(data), From: netip.MustParseAddrPort(from)}
}

func reqs(r ...string) []string { return r }

// withU returns o changed by f.
func withU(o *udpSocketObs, f func(*udpSocketObs)) *udpSocketObs {
	f(o)
	return o
}

// TestJudgeUDP judges hand-built observations: every violation the UDP
// judge reports, with its exact text, and what it accepts.
func TestJudgeUDP(t *testing.T) {
	s := UDPScript{Case: "c"}
	twelve := "abcdefghijkl"
	for _, tt := range []struct {
		name string
		s    UDPScript
		max  int
		obs  udpObs
		want string
	}{
		{"every request answered", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab", "cd", "ab"), dg("CD"), dg("AB"), dg("AB")),
			csock(reqs(""), dg("")),
		}}, ""},
		{"a retried request answered twice", s, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("ab"), dg("AB"), dg("AB")), func(o *udpSocketObs) { o.tries[0], o.sends[0] = 2, 2 }),
		}}, ""},
		{"a request cut to the maximum", s, 4, udpObs{sockets: []*udpSocketObs{usock(reqs("abcdef"), dg("ABCD"))}}, ""},
		{"a request never sent is not missing", s, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("ab", "cd")), func(o *udpSocketObs) { o.tries = []int{6, 0}; o.sends = []int{6, 0} }),
		}}, "UDP-ROUNDTRIP [c]: expected a reply of 2 bytes, upper(request); observed no reply after 6 tries; socket 0 datagram 0, the request starts 61 62"},
		{"a datagram larger than any reply", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab"), dg("AB"), clients.Datagram{Data: []byte("0123456789"), From: udpServer, Truncated: true}),
		}}, "UDP-ONCE [c]: expected no reply larger than its request; observed a datagram longer than 10 bytes; socket 0"},
		{"a datagram cut short answers the request it resembles", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("abc"), clients.Datagram{Data: []byte("ABCDEFGH"), From: udpServer, Truncated: true}),
		}}, "UDP-ONCE [c]: expected a reply of 3 bytes, upper(request); observed a reply longer than 8 bytes to a 3-byte request; " +
			"socket 0 datagram 0, first difference at offset 3: want 41 42 43|(end), got 41 42 43|44 45 46 47 48 (end)"},
		{"a datagram cut short with a byte mapped wrongly", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("abc"), clients.Datagram{Data: []byte("AXCDEFGH"), From: udpServer, Truncated: true}),
		}}, "UDP-BYTES [c]: expected a reply of 3 bytes, upper(request); observed byte 0x62 ('b') became 0x58, and more than 8 bytes instead of 3; " +
			"socket 0 datagram 0, first difference at offset 1: want 41|42 43 (end), got 41|58 43 44 45 46 47 48 (end)"},
		{"another socket's reply", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab"), dg("AB"), dg("CD")),
			usock(reqs("cd"), dg("CD")),
		}}, "UDP-CONCURRENT [c]: expected only replies to this socket's own requests; observed the reply to socket 1 datagram 0; socket 0"},
		{"a reply that went to another socket", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab"), dg("AB"), dg("CD")),
			usock(reqs("cd")),
		}}, "UDP-CONCURRENT [c]: expected only replies to this socket's own requests; observed the reply to socket 1 datagram 0; socket 0\n" +
			"UDP-CONCURRENT [c]: expected the reply on the socket that sent the request; observed no reply here; it went to socket 0; socket 1 datagram 0"},
		{"part of another socket's reply", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("xyz"), dg(strings.ToUpper(twelve[:10]))),
			usock(reqs(twelve), dg(strings.ToUpper(twelve))),
		}}, "UDP-CONCURRENT [c]: expected only replies to this socket's own requests; observed a 10-byte datagram resembling the reply to socket 1 datagram 0; socket 0\n" +
			"UDP-ROUNDTRIP [c]: expected a reply of 3 bytes, upper(request); observed no reply after 1 try; socket 0 datagram 0, the request starts 78 79 7a"},
		{"replies from another port", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab", "cd"), dgFrom("AB", "127.0.0.1:9001"), dg("CD")),
		}}, "UDP-SOURCE [c]: expected every reply from the address and port the requests went to; observed 1 of 2 replies from another port of the same host; socket 0"},
		{"replies from another host", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab"), dgFrom("AB", "127.0.0.2:9000")),
		}}, "UDP-SOURCE [c]: expected every reply from the address and port the requests went to; observed 1 of 1 replies from another host; socket 0"},
		{"a connected socket unanswered, replies from elsewhere", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab"), dgFrom("AB", "127.0.0.1:9001")),
			csock(reqs("cd")),
		}}, "UDP-SOURCE [c]: expected every reply from the address and port the requests went to; observed 1 of 1 replies from another port of the same host; socket 0\n" +
			"UDP-SOURCE [c]: expected a reply on a connected socket, which accepts only datagrams from the server's address; observed no reply after 1 try; replies come from another port of the same host; socket 1 (connected) datagram 0"},
		{"a connected socket unanswered, a probe saw elsewhere", s, 8192, udpObs{sockets: []*udpSocketObs{csock(reqs("cd"))}, probedSource: "another host"},
			"UDP-SOURCE [c]: expected a reply on a connected socket, which accepts only datagrams from the server's address; observed no reply after 1 try; replies come from another host; socket 0 (connected) datagram 0"},
		{"a flood", s, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("ab"), dg("AB"), dg("AB")), func(o *udpSocketObs) { o.dropped = 3; o.sends[0] = 2 }),
		}}, "UDP-ONCE [c]: expected one reply per datagram sent; observed more datagrams than the 2 a conforming server could send; socket 0"},
		{"a duplicate", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("ab"), dg("AB"), dg("AB"))}},
			"UDP-ONCE [c]: expected at most one reply per datagram sent; observed 2 replies to 1 send; socket 0 datagram 0"},
		{"identical requests share their replies by count", s, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("ab", "cd", "ab"), dg("AB"), dg("CD"), dg("AB"), dg("AB")),
		}}, "UDP-ONCE [c]: expected at most one reply per datagram sent; observed 3 replies to 2 sends; socket 0 datagram 0"},
		{"an extra datagram", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("ab"), dg("AB"), dg("zz"))}},
			"UDP-ONCE [c]: expected no datagram but the replies to this socket's requests; observed a 2-byte datagram that answers no request; socket 0, it starts 7a 7a"},
		{"an extra empty datagram", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("ab"), dg("AB"), dg(""))}},
			"UDP-ONCE [c]: expected no datagram but the replies to this socket's requests; observed a zero-length datagram that answers no request; socket 0, it starts "},
		{"a byte not uppercased", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("hello"), dg("HELlO"))}},
			"UDP-BYTES [c]: expected a reply of 5 bytes, upper(request); observed byte 0x6c ('l') not uppercased; " +
				"socket 0 datagram 0, first difference at offset 3: want 48 45 4c|4c 4f (end), got 48 45 4c|6c 4f (end)"},
		{"a damaged second reply", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("hello"), dg("HELLO"), dg("HELlO"))}},
			"UDP-BYTES [c]: expected a reply of 5 bytes, upper(request); observed byte 0x6c ('l') not uppercased; " +
				"socket 0 datagram 0, first difference at offset 3: want 48 45 4c|4c 4f (end), got 48 45 4c|6c 4f (end)"},
		{"a letter mapped wrongly", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("abc"), dg("AXC"))}},
			"UDP-BYTES [c]: expected a reply of 3 bytes, upper(request); observed byte 0x62 ('b') became 0x58; " +
				"socket 0 datagram 0, first difference at offset 1: want 41|42 43 (end), got 41|58 43 (end)"},
		{"a byte changed, and the length", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("a-c"), dg("A_CD"))}},
			"UDP-BYTES [c]: expected a reply of 3 bytes, upper(request); observed byte 0x2d changed to 0x5f, and 4 bytes instead of 3; " +
				"socket 0 datagram 0, first difference at offset 1: want 41|2d 43 (end), got 41|5f 43 44 (end)"},
		{"a reply larger than its request", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("abc"), dg("ABCD"))}},
			"UDP-ONCE [c]: expected a reply of 3 bytes, upper(request); observed a 4-byte reply to a 3-byte request; " +
				"socket 0 datagram 0, first difference at offset 3: want 41 42 43|(end), got 41 42 43|44 (end)"},
		{"a reply cut short", s, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("abcd"), dg("AB"))}},
			"UDP-SIZE [c]: expected a reply of 4 bytes, upper(request); observed the reply cut to 2 bytes (declared maximum 8192); " +
				"socket 0 datagram 0, first difference at offset 2: want 41 42|43 44 (end), got 41 42|(end)"},
		{"a reply not cut to the maximum", s, 4, udpObs{sockets: []*udpSocketObs{usock(reqs("abcdef"), dg("ABCDEF"))}},
			"UDP-SIZE [c]: expected a reply of 4 bytes, upper of the first 4 bytes of the 6-byte request; observed a 6-byte reply: the whole request, not cut to the declared maximum of 4; " +
				"socket 0 datagram 0, first difference at offset 4: want 41 42 43 44|(end), got 41 42 43 44|45 46 (end)"},
		{"a reply longer than the maximum", s, 4, udpObs{sockets: []*udpSocketObs{usock(reqs("abcdef"), dg("ABCDE"))}},
			"UDP-SIZE [c]: expected a reply of 4 bytes, upper of the first 4 bytes of the 6-byte request; observed a 5-byte reply: more than the declared maximum of 4; " +
				"socket 0 datagram 0, first difference at offset 4: want 41 42 43 44|(end), got 41 42 43 44|45 (end)"},
		{"an empty request unanswered", s, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("")), func(o *udpSocketObs) { o.tries[0] = 6 }),
		}}, "UDP-EMPTY [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 6 tries; socket 0 datagram 0"},
		{"a request over the maximum unanswered", s, 4, udpObs{sockets: []*udpSocketObs{usock(reqs("abcdef"))}},
			"UDP-ROUNDTRIP [c]: expected a reply of 4 bytes, upper of the first 4 bytes of the 6-byte request; observed no reply after 1 try; socket 0 datagram 0, the request starts 61 62 63 64 65 66"},
		{"findings of a kind aggregated", s, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("ab", "cd", "ef")), func(o *udpSocketObs) { o.tries = []int{6, 6, 6} }),
			csock(reqs("gh")),
		}}, "UDP-ROUNDTRIP [c]: expected a reply of 2 bytes, upper(request); observed no reply after 6 tries (and 2 more like it); socket 0 datagram 0, the request starts 61 62\n" +
			"UDP-ROUNDTRIP [c]: expected a reply of 2 bytes, upper(request); observed no reply after 1 try; socket 1 (connected) datagram 0, the request starts 67 68"},
		{"a duplicate seen by a script of another requirement", UDPScript{ID: "UDP-BYTES", Case: "c"}, 8192, udpObs{sockets: []*udpSocketObs{usock(reqs("ab"), dg("AB"), dg("AB"))}},
			"UDP-ONCE [c]: expected at most one reply per datagram sent; observed 2 replies to 1 send; socket 0 datagram 0"},
		{"another port seen by a script of another requirement, content still judged", UDPScript{ID: "UDP-BYTES", Case: "c"}, 8192, udpObs{sockets: []*udpSocketObs{
			usock(reqs("abc"), dgFrom("AXC", "127.0.0.1:9001")),
		}}, "UDP-SOURCE [c]: expected every reply from the address and port the requests went to; observed 1 of 1 replies from another port of the same host; socket 0\n" +
			"UDP-BYTES [c]: expected a reply of 3 bytes, upper(request); observed byte 0x62 ('b') became 0x58; " +
			"socket 0 datagram 0, first difference at offset 1: want 41|42 43 (end), got 41|58 43 (end)"},
		{"an empty request unanswered while the next is answered", UDPScript{ID: "UDP-EMPTY", Case: "c"}, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("", "after"), dg("AFTER")), func(o *udpSocketObs) { o.tries[0] = 6 }),
		}}, "UDP-EMPTY [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 6 tries; socket 0 datagram 0"},
		{"a socket that got nothing: the round trip, not the empty datagram", UDPScript{ID: "UDP-EMPTY", Case: "c"}, 8192, udpObs{sockets: []*udpSocketObs{
			withU(usock(reqs("", "after")), func(o *udpSocketObs) { o.tries = []int{6, 6} }),
		}}, "UDP-ROUNDTRIP [c]: expected a reply of 5 bytes, upper(request); observed no reply after 6 tries; socket 0 datagram 1, the request starts 61 66 74 65 72"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := joined(judgeUDP(tt.s, tt.max, tt.obs)); got != tt.want {
				t.Errorf("judgeUDP:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestJudgeUDPFinalProbe(t *testing.T) {
	err := errors.New(`no reply to "a" after 6 tries`)
	if got, want := joined(judgeUDPFinalProbe(UDPScript{Case: "c"}, err)),
		`UDP-SURVIVE [c]: expected a fresh socket answered after the script; observed no reply to "a" after 6 tries; new socket`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// Whatever the script checks, a server that stopped answering after it
	// breaks UDP-SURVIVE.
	if got, want := joined(judgeUDPFinalProbe(UDPScript{ID: "UDP-ONCE", Case: "c"}, err)),
		`UDP-SURVIVE [c]: expected a fresh socket answered after the script; observed no reply to "a" after 6 tries; new socket`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestNeedsSourceProbe: the run asks where replies come from only when a
// connected socket went unanswered and nothing else says.
func TestNeedsSourceProbe(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    UDPScript
		obs  []*udpSocketObs
		want bool
	}{
		{"connected socket unanswered", UDPScript{}, []*udpSocketObs{csock(reqs("ab"))}, true},
		{"the script names its requirement", UDPScript{ID: "UDP-CONCURRENT"}, []*udpSocketObs{csock(reqs("ab"))}, true},
		{"connected socket answered", UDPScript{}, []*udpSocketObs{csock(reqs("ab"), dg("AB"))}, false},
		{"unconnected socket unanswered", UDPScript{}, []*udpSocketObs{usock(reqs("ab"))}, false},
		{"a source already seen", UDPScript{}, []*udpSocketObs{usock(reqs("cd"), dgFrom("CD", "127.0.0.2:9000")), csock(reqs("ab"))}, false},
	} {
		if got := needsSourceProbe(tt.s, 8192, udpObs{sockets: tt.obs}); got != tt.want {
			t.Errorf("%s: needsSourceProbe = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNeedsEmptyFollowUp: only a socket whose one request, an empty
// datagram, got nothing back at all leaves its server's fault unknown.
func TestNeedsEmptyFollowUp(t *testing.T) {
	spent := func(o *udpSocketObs) *udpSocketObs {
		o.tries = make([]int, len(o.reqs))
		for k := range o.tries {
			o.tries[k] = UDPTries
		}
		return o
	}
	for _, tt := range []struct {
		name string
		obs  []*udpSocketObs
		want bool
	}{
		{"a lone empty datagram unanswered", []*udpSocketObs{spent(usock(reqs("")))}, true},
		{"a lone empty datagram answered", []*udpSocketObs{spent(usock(reqs(""), dg("")))}, false},
		{"a lone empty datagram answered wrongly", []*udpSocketObs{spent(usock(reqs(""), dg("x")))}, false},
		{"an empty datagram, then another", []*udpSocketObs{spent(usock(reqs("", "after")))}, false},
		{"a lone datagram of 1 byte", []*udpSocketObs{spent(usock(reqs("a")))}, false},
	} {
		if got := (udpObs{sockets: tt.obs}).needsEmptyFollowUp(); got != tt.want {
			t.Errorf("%s: needsEmptyFollowUp = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestJudgeUDPByKind: a reply's content counts against the rule its kind
// of difference breaks, and a probe's wrong reply is not a failure to
// survive.
func TestJudgeUDPByKind(t *testing.T) {
	s := UDPScript{Case: "c"}
	silent := usock(reqs(""))
	silent.tries = []int{SilentTries}
	lone := func() *udpSocketObs { o := usock(reqs("")); o.tries = []int{UDPTries}; return o }
	for _, tt := range []struct {
		name string
		o    udpObs
		want string
	}{
		{"a byte outside ASCII became 3 bytes", udpObs{sockets: []*udpSocketObs{usock(reqs("\x80"), dg("\xef\xbf\xbd"))}},
			"UDP-BYTES [c]: expected a reply of 1 byte, upper(request); observed byte 0x80 changed to 0xef, and 3 bytes instead of 1; " +
				"socket 0 datagram 0, first difference at offset 0: want |80 (end), got |ef bf bd (end)"},
		{"a byte outside ASCII became 3 bytes, its own first", udpObs{sockets: []*udpSocketObs{usock(reqs("\xef"), dg("\xef\xbf\xbd"))}},
			"UDP-BYTES [c]: expected a reply of 1 byte, upper(request); observed the 1-byte request came back as 3 bytes, a byte value mapped to several; " +
				"socket 0 datagram 0, first difference at offset 1: want ef|(end), got ef|bf bd (end)"},
		{"a greeting beside the reply", udpObs{sockets: []*udpSocketObs{usock(reqs("abcdef"), dg("ABCDEF"), dg("a\x00 hi"))}},
			"UDP-ONCE [c]: expected no datagram but the replies to this socket's requests; observed a 5-byte datagram that answers no request; socket 0, it starts 61 00 20 68 69"},
		{"a lone empty datagram, the server seen silent", udpObs{sockets: []*udpSocketObs{silent}},
			"UDP-ROUNDTRIP [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 2 tries (the server was seen to answer no datagram of a new socket); socket 0 datagram 0"},
		{"a lone empty datagram, a new socket's \"a\" unanswered too", udpObs{sockets: []*udpSocketObs{lone()}, newSocketSilent: true},
			"UDP-ROUNDTRIP [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 6 tries (the server was seen to answer no datagram of a new socket); socket 0 datagram 0"},
		{"a lone empty datagram, a new socket's \"a\" answered", udpObs{sockets: []*udpSocketObs{lone()}},
			"UDP-EMPTY [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 6 tries; socket 0 datagram 0"},
	} {
		if got := joined(judgeUDP(s, 8192, tt.o)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct {
		reply, want string
	}{{"AB", "UDP-ONCE"}, {"", "UDP-SIZE"}, {"B", "UDP-BYTES"}} {
		err := &udpProbeError{text: fmt.Sprintf("reply to %q was %q, not %q", "a", tt.reply, "A"), id: udpContentID([]byte("a"), []byte(tt.reply))}
		want := fmt.Sprintf(`%s [c]: expected a fresh socket answered after the script; observed reply to "a" was %q, not "A"; new socket`, tt.want, tt.reply)
		if got := joined(judgeUDPFinalProbe(s, err)); got != want {
			t.Errorf("a probe answered with %q:\n got %s\nwant %s", tt.reply, got, want)
		}
	}
}
