package check

import (
	"context"

	"github.com/upcheck/upcheck/clients"
)

// udpCases adds the UDP cases to t, built around the declared maximum
// o.UDPMax.
func udpCases(t *table, o Options) {
	// UDP-ROUNDTRIP: each datagram is answered by one datagram carrying its
	// uppercase, as the seed's server answers with one
	// sendto(data.upper()).
	roundTrip := func(name, kase string, payload []byte) {
		t.add(Case{Req: ReqUDPRoundTrip, Group: "a datagram is answered by one datagram carrying upper(payload)", Name: name,
			Check: func(ctx context.Context, e Env) error { return UDPRoundTrip(ctx, e, kase, payload) }})
	}
	roundTrip("1 byte", "1 byte", []byte("a"))
	roundTrip("the seed client's line", "client33333", []byte("client33333"))
	roundTrip("1024 bytes", "1024 bytes", clients.Payload(0, 1024))

	// UDP-BYTES: the byte mapping of TCP-BYTES, on datagrams: a-z become
	// A-Z, every other byte value is unchanged, the length is kept.
	t.add(Case{Req: ReqUDPBytes, Name: "maps each of the 256 byte values alone, each in its own datagram", Check: udpEachByte})
	udpBytes := func(name, kase string, payload []byte) {
		t.add(Case{Req: ReqUDPBytes, Group: "comes back byte for byte with only a-z changed", Name: name,
			Check: func(ctx context.Context, e Env) error { return UDPBytes(ctx, e, kase, payload) }})
	}
	udpBytes("all 256 byte values together", "all 256 byte values together", allBytes())
	udpBytes("UTF-8 é, ß and an emoji", "UTF-8 é ß emoji", []byte("café straße \U0001F600"))
	udpBytes("UTF-8 ı and ſ, which Unicode uppercases to I and S", "UTF-8 ı ſ", []byte("ı ſ dotless"))
	udpBytes("invalid UTF-8", "invalid UTF-8", []byte("a\xffb\xfec\x80 abc\xc3 x\xc0\xaf\xed\xa0\x80"))

	// UDP-EMPTY: unlike a zero-length TCP write, a zero-length datagram
	// exists on the wire, and socketserver answers it with
	// sendto(b"".upper()).
	t.add(Case{Req: ReqUDPEmpty, Name: "answers a zero-length datagram with a zero-length datagram", Check: UDPEmpty})

	// UDP-SIZE: payloads up to the declared maximum (UPCHECK_UDP_MAX, 8192
	// for the reference: socketserver's max_packet_size) come back whole;
	// larger ones come back cut to the maximum, as recvfrom(max) leaves
	// them.
	for _, n := range UDPSizes(o.UDPMax) {
		t.add(Case{Req: ReqUDPSize, Group: "a payload up to the declared maximum comes back whole, a larger one cut to it", Name: sizeName(n, o.UDPMax),
			Check: func(ctx context.Context, e Env) error { return UDPSize(ctx, e, n) }})
	}

	// UDP-SOURCE: the reply comes from the address and port the request
	// went to. A server that answers from another socket looks fine to an
	// unconnected client, but a connected client (connect(2) before send)
	// never sees the reply: the kernel drops it.
	t.add(Case{Req: ReqUDPSource, Name: "answers from the address it was sent to, so connected clients work", Check: UDPSource})

	// UDP-ONCE: exactly one reply per datagram. Unique payloads are resent
	// only while unanswered, and each send may bring at most one reply;
	// after a quiet period every reply beyond that, every extra datagram
	// and every reply larger than its request counts.
	t.add(Case{Req: ReqUDPOnce, Name: "sends one reply per datagram, never a duplicate, an extra or a larger one",
		Check: func(ctx context.Context, e Env) error { return UDPOnce(ctx, e, 100) }})

	// UDP-CONCURRENT: many clients at once each receive only their own
	// replies, matched by content: a server that answers to the last
	// sender instead of each request's source sends replies to the wrong
	// client.
	t.add(Case{Req: ReqUDPConcurrent, Name: "answers 50 sockets x 20 datagrams, each reply to its own socket", Serial: true, Timeout: HeavyCaseTimeout,
		Check: func(ctx context.Context, e Env) error { return UDPConcurrent(ctx, e, 50, 20) }})

	// UDP-SURVIVE: the server keeps answering after replies to closed
	// ports (ICMP port unreachable, which some platforms report as a read
	// error: the seed's ConnectionResetError), oversized datagrams and a
	// flood.
	t.add(Case{Req: ReqUDPSurvive, Name: "keeps answering after replies to closed ports, oversized datagrams and a burst of 10,000", Serial: true, Timeout: HeavyCaseTimeout,
		Check: func(ctx context.Context, e Env) error { return UDPSurvive(ctx, e, 10000) }})
}

// udpEachByte checks UDP-BYTES for each of the 256 byte values alone, each
// in its own datagram from one socket.
func udpEachByte(ctx context.Context, e Env) error {
	ds := make([][]byte, 256)
	for i := range ds {
		ds[i] = []byte{byte(i)}
	}
	return RunUDP(ctx, e, UDPScript{ID: string(ReqUDPBytes), Case: "each byte value alone", Sockets: []UDPSocketScript{{Datagrams: ds}}})
}

// sizeName names a UDP-SIZE case by its size and its relation to the
// declared maximum.
func sizeName(n, max int) string {
	var rel string
	switch n {
	case max - 1:
		rel = "the maximum - 1"
	case max:
		rel = "the declared maximum"
	case max + 1:
		rel = "the maximum + 1"
	case MaxUDPPayload:
		rel = "the largest IPv4 datagram"
	}
	name := nBytes(n)
	if rel == "" {
		return name
	}
	return name + ", " + rel
}
