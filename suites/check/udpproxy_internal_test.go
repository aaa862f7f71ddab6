package check

import (
	"testing"
)

// withNet returns o with the record of what a network did to its
// datagrams.
func withNet(o *udpSocketObs, r udpNetRecord) *udpSocketObs {
	o.net = &r
	return o
}

func counts(kv ...any) map[string]int {
	m := map[string]int{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(int)
	}
	return m
}

// TestJudgeUDPThroughANetwork judges observations made through a faulty
// network: what the network did is not the server's violation, and what
// the server did on top of it still is.
func TestJudgeUDPThroughANetwork(t *testing.T) {
	s := UDPScript{Case: "c"}
	tried := func(n int) func(*udpSocketObs) {
		return func(o *udpSocketObs) {
			for k := range o.tries {
				o.tries[k], o.sends[k] = n, n
			}
		}
	}
	for _, tt := range []struct {
		name string
		obs  *udpSocketObs
		want string
	}{
		{"a reply the network copied",
			withNet(usock(reqs("abc"), dg("ABC"), dg("ABC")), udpNetRecord{downCopies: counts("ABC", 1)}), ""},
		{"a reply copied, without the record",
			usock(reqs("abc"), dg("ABC"), dg("ABC")),
			`UDP-ONCE [c]: expected at most one reply per datagram sent; observed 2 replies to 1 send; socket 0 datagram 0`},
		{"a damaged reply the network copied",
			withNet(usock(reqs("abc", "xyz"), dg("ABC"), dg("XYz"), dg("XYz")), udpNetRecord{downCopies: counts("XYz", 1)}),
			`UDP-BYTES [c]: expected a reply of 3 bytes, upper(request); observed byte 0x7a ('z') not uppercased; socket 0 datagram 1, first difference at offset 2: want 58 59|5a (end), got 58 59|7a (end)`},
		{"a request the network copied, answered once per copy",
			withNet(usock(reqs("abc"), dg("ABC"), dg("ABC")), udpNetRecord{upCopies: counts("abc", 1)}), ""},
		{"the server's duplicate on top of the network's copy",
			withNet(usock(reqs("abc"), dg("ABC"), dg("ABC"), dg("ABC")), udpNetRecord{upCopies: counts("abc", 1)}),
			`UDP-ONCE [c]: expected at most one reply per datagram sent; observed 3 replies to 1 send and 1 the network made of them; socket 0 datagram 0`},
		{"every copy of a request dropped",
			withNet(withU(usock(reqs("abc", "d"), dg("D")), tried(UDPTries)), udpNetRecord{upDropped: counts("abc", UDPTries)}), ""},
		{"requests and replies dropped",
			withNet(withU(usock(reqs("abc", "d"), dg("D")), tried(UDPTries)), udpNetRecord{upDropped: counts("abc", 2), downDropped: counts("ABC", UDPTries-2)}), ""},
		{"damaged replies dropped",
			withNet(withU(usock(reqs("abc", "d"), dg("D")), tried(UDPTries)), udpNetRecord{upDropped: counts("abc", 2), downDropped: counts("ABz", UDPTries-2)}), ""},
		{"fewer drops than tries",
			withNet(withU(usock(reqs("abc", "d"), dg("D")), tried(UDPTries)), udpNetRecord{upDropped: counts("abc", 2), downDropped: counts("ABC", 1)}),
			`UDP-ROUNDTRIP [c]: expected a reply of 3 bytes, upper(request); observed no reply after 6 tries; socket 0 datagram 0, the request starts 61 62 63`},
		{"an empty datagram dropped",
			withNet(usock(reqs("", "x"), dg("X")), udpNetRecord{upDropped: counts("", 1)}), ""},
		{"an empty datagram not dropped",
			withNet(usock(reqs("", "x"), dg("X")), udpNetRecord{upDropped: counts("x", 1)}),
			`UDP-EMPTY [c]: expected a zero-length reply to a zero-length datagram; observed no reply after 1 try; socket 0 datagram 0`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := joined(judgeUDP(s, 8192, udpObs{sockets: []*udpSocketObs{tt.obs}}))
			if got != tt.want {
				t.Errorf("judged\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
