package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// tcpCases adds the TCP cases to t. Within a requirement, the cases are in
// the order the report looks for its first failure.
func tcpCases(t *table, o Options) {
	seed := o.Seed

	// TCP-ROUNDTRIP: what a client writes is answered while the connection
	// stays open, as the seed's client expects: it sends a line and waits
	// in recv(1024) for the reply before it sends the next.
	roundTrip := func(name, kase string, payload []byte) {
		t.add(Case{Req: ReqTCPRoundTrip, Group: "a request is answered without the client closing or writing more", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPRoundTrip(ctx, e, kase, payload) }})
	}
	roundTrip("1 byte", "1 byte", []byte("a"))
	roundTrip("the seed client's line", "client33333", []byte("client33333"))
	roundTrip("1023 bytes", "1023 bytes", clients.Payload(0, 1023))
	roundTrip("1024 bytes, the seed's recv size", "1024 bytes", clients.Payload(1, 1024))
	roundTrip("1025 bytes, one more than the seed's recv size", "1025 bytes", clients.Payload(2, 1025))
	t.add(Case{Req: ReqTCPRoundTrip, Name: "answers 100 ping-pongs on one connection, each before the next is sent",
		Check: func(ctx context.Context, e Env) error { return TCPPingPong(ctx, e, 100, []byte("ping")) }})

	// TCP-BYTES: bytes.upper() on bytes: a-z become A-Z, every other byte
	// value comes back as it was, and the length is kept. Unicode case
	// mapping, Latin-1 toupper and UTF-8 repair all break it.
	t.add(Case{Req: ReqTCPBytes, Name: "maps each of the 256 byte values alone, each on its own connection", Check: tcpEachByte})
	tcpBytes := func(name, kase string, payload []byte) {
		t.add(Case{Req: ReqTCPBytes, Group: "comes back byte for byte with only a-z changed", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPBytes(ctx, e, kase, payload) }})
	}
	tcpBytes("all 256 byte values together", "all 256 byte values together", allBytes())
	tcpBytes("all 256 byte values, descending", "all 256 byte values, descending", reversed(allBytes()))
	tcpBytes("UTF-8 é (c3 a9)", "UTF-8 é", []byte("café é"))
	tcpBytes("UTF-8 ß (c3 9f), which Unicode uppercases to SS", "UTF-8 ß", []byte("straße ß"))
	tcpBytes("UTF-8 emoji (4 bytes)", "UTF-8 emoji", []byte("smile \U0001F600 ok"))
	tcpBytes("UTF-8 ı and ſ, which Unicode uppercases to I and S", "UTF-8 ı ſ", []byte("ı ſ dotless"))
	tcpBytes("Latin-1 letters, which a locale's toupper changes", "Latin-1 letters", []byte("caf\xe9 \xe0\xfe\xff"))
	tcpBytes("invalid UTF-8: lone bytes", "invalid UTF-8 lone bytes", []byte("a\xffb\xfec\x80"))
	tcpBytes("invalid UTF-8: a truncated sequence", "invalid UTF-8 truncated", []byte("abc\xc3"))
	tcpBytes("invalid UTF-8: overlong and surrogate", "invalid UTF-8 overlong and surrogate", []byte("x\xc0\xafy\xed\xa0\x80z"))

	// TCP-STREAM: however the client cuts its writes, the whole reply
	// stream is upper(the whole request stream), in order. The client
	// reads while it writes, so a server that answers as it reads never
	// blocks on full buffers.
	stream := func(name string, c StreamCase) {
		t.add(Case{Req: ReqTCPStream, Group: "the reply stream is upper(the request stream), whatever the writes", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPStream(ctx, e, c) }})
	}
	// The cases with random chunks are declared first, before those
	// through the proxy, and from one line: the report looks among them
	// for a first failure before the others, by name.
	for _, r := range []struct {
		name                 string
		n, size, maxChunk, s int
	}{
		{"random chunks of 1-16 bytes", 2, 16 << 10, 16, 0},
		{"random chunks of 1-1500 bytes", 3, 256 << 10, 1500, 1},
		{"random chunks of 1-64 KiB", 4, 2 << 20, 64 << 10, 2},
	} {
		s := uint64(seed) + uint64(r.s)
		c := StreamCase{Name: fmt.Sprintf("%s, seed %d", r.name, s), Payload: clients.Payload(r.n, r.size), Chunks: RandomChunks(s, 64, r.maxChunk)}
		stream(c.Name, c)
	}

	// TCP-STREAM through the fault proxy: TCP is a byte stream, so the
	// reply stream is upper(the request stream) whatever the network does
	// to the segments: slices each direction into tiny segments, delays
	// them.
	proxied := "through a network that cuts and delays segments"
	proxyStream := func(name string, c StreamCase, f NetFaults) {
		t.add(Case{Req: ReqTCPStream, Topic: string(ReqTCPStream) + " " + proxied, Labels: []string{"proxy"},
			Group: "the reply stream is upper(the request stream), however the network segments it", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPStreamThroughProxy(ctx, e, c, f) }})
	}
	proxyStream("4 KiB in 1-byte segments both ways",
		StreamCase{Name: "4096 bytes in one write", Payload: clients.Payload(20, 4<<10)},
		NetFaults{Up: oneByte(0), Down: oneByte(0)})
	proxyStream("1 KiB in 1-byte segments 100µs apart both ways",
		StreamCase{Name: "1024 bytes in one write", Payload: clients.Payload(21, 1<<10)},
		NetFaults{Up: oneByte(100 * time.Microsecond), Down: oneByte(100 * time.Microsecond)})
	proxyStream("1-byte writes into 1-byte segments with 2 ms latency",
		StreamCase{Name: "512 1-byte writes, Nagle on", Payload: clients.Payload(22, 512), Chunks: []int{1}},
		NetFaults{Up: StreamFaults{Segment: 1, Latency: 2 * time.Millisecond}, Down: StreamFaults{Segment: 1, Latency: 2 * time.Millisecond}})
	proxyStream(fmt.Sprintf("256 KiB in random segments of 1-512 bytes both ways, seed %d", seed),
		StreamCase{Name: "256 KiB in random chunks", Payload: clients.Payload(23, 256<<10), Chunks: RandomChunks(uint64(seed), 16, 8<<10)},
		NetFaults{Seed: seed, Up: randomSegments(512, 0), Down: randomSegments(512, 0)})
	proxyStream(fmt.Sprintf("64 KiB in random segments of 1-512 bytes, 50µs apart downward, seed %d", seed+1),
		StreamCase{Name: "64 KiB in one write", Payload: clients.Payload(24, 64<<10)},
		NetFaults{Seed: seed + 1, Up: randomSegments(512, 0), Down: randomSegments(512, 50*time.Microsecond)})

	// TCP-STREAM, the cases with fixed writes.
	stream("1-byte writes, Nagle off", StreamCase{Name: "4096 1-byte writes, Nagle off", Payload: clients.Payload(0, 4096), Chunks: []int{1}, NoDelay: true})
	stream("1-byte writes, Nagle on", StreamCase{Name: "4096 1-byte writes, Nagle on", Payload: clients.Payload(1, 4096), Chunks: []int{1}})
	stream("1 MiB in one write, read while writing", StreamCase{Name: "1 MiB in one write", Payload: clients.Payload(5, 1<<20)})
	stream("8 MiB in 64 KiB writes, read while writing", StreamCase{Name: "8 MiB in 64 KiB writes", Payload: clients.Payload(6, 8<<20), Chunks: []int{64 << 10}})
	stream("2000 small writes coalesced by Nagle", StreamCase{Name: "2000 7-byte writes, Nagle on", Payload: bytes.Repeat([]byte("hello, "), 2000), Chunks: []int{7}})
	stream("2000 small writes with Nagle off", StreamCase{Name: "2000 7-byte writes, Nagle off", Payload: bytes.Repeat([]byte("hello, "), 2000), Chunks: []int{7}, NoDelay: true})
	stream("small writes with pauses, each its own segment", StreamCase{Name: "50 20-byte writes 2 ms apart", Payload: clients.Payload(7, 1000), Chunks: []int{20}, Pause: 2 * time.Millisecond, NoDelay: true})

	// TCP-EOF: a client that half-closes (shutdown(SHUT_WR)) still gets
	// every reply byte it is owed, then an orderly close: the seed's
	// handler breaks on the empty read only after answering everything
	// before it, and socketserver shuts the connection down rather than
	// resetting it.
	eof := func(name, kase string, payload []byte) {
		t.add(Case{Req: ReqTCPEOF, Group: "after a half-close every reply byte arrives, then EOF, not a reset", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPEOF(ctx, e, kase, payload) }})
	}
	eof("write then half-close at once", "write then half-close at once", []byte("hello, world"))
	eof("half-close with nothing sent", "half-close with nothing sent", nil)
	eof("half-close right after a 64 KiB write", "half-close after a 64 KiB write", clients.Payload(0, 64<<10))
	eof("half-close right after a 1 MiB write", "half-close after a 1 MiB write", clients.Payload(1, 1<<20))

	// TCP-EOF through the fault proxy: the half-close follows the last
	// request byte however the network segments them.
	proxyEOF := func(name, kase string, payload []byte, f NetFaults) {
		t.add(Case{Req: ReqTCPEOF, Topic: string(ReqTCPEOF) + " " + proxied, Labels: []string{"proxy"},
			Group: "the half-close follows the last request byte, and EOF the last reply byte", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPEOFThroughProxy(ctx, e, kase, payload, f) }})
	}
	proxyEOF("write then half-close, 1-byte segments 100µs apart both ways", "write then half-close at once", []byte("hello, world"),
		NetFaults{Up: oneByte(100 * time.Microsecond), Down: oneByte(100 * time.Microsecond)})
	proxyEOF("half-close with nothing sent, 5 ms latency both ways", "half-close with nothing sent", nil,
		NetFaults{Up: StreamFaults{Latency: 5 * time.Millisecond}, Down: StreamFaults{Latency: 5 * time.Millisecond}})
	proxyEOF("4 KiB then half-close, 1-byte segments both ways", "half-close after a 4 KiB write", clients.Payload(25, 4<<10),
		NetFaults{Up: oneByte(0), Down: oneByte(0)})
	proxyEOF(fmt.Sprintf("64 KiB then half-close, random segments of 1-512 bytes both ways, seed %d", seed), "half-close after a 64 KiB write", clients.Payload(26, 64<<10),
		NetFaults{Seed: seed, Up: randomSegments(512, 0), Down: randomSegments(512, 0)})

	// TCP-RESET from the network: a reset that comes mid-reply, like a
	// client's own, ends that connection only.
	reset := func(at int64) StreamFaults { return StreamFaults{Reset: true, ResetAt: at} }
	proxyReset := func(name, kase string, payload []byte, f NetFaults) {
		t.add(Case{Req: ReqTCPReset, Topic: string(ReqTCPReset) + " from the network, mid-request and mid-reply", Labels: []string{"proxy"},
			Group: "the client gets a prefix of its reply, then the reset; a bystander and a new connection are served", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPResetThroughProxy(ctx, e, kase, payload, f) }})
	}
	proxyReset("reset as the connection opens", "reset at once", clients.Payload(30, 100),
		NetFaults{Down: reset(0)})
	proxyReset("reset after the first reply byte", "4 KiB request", clients.Payload(31, 4<<10),
		NetFaults{Down: StreamFaults{Segment: 1, Reset: true, ResetAt: 1}})
	proxyReset("reset after 1000 bytes of a 1 MiB reply", "1 MiB request", clients.Payload(32, 1<<20),
		NetFaults{Down: reset(1000)})
	proxyReset("reset after 100000 bytes of a 1 MiB reply in random segments", "1 MiB request", clients.Payload(33, 1<<20),
		NetFaults{Seed: 7, Down: StreamFaults{Segment: 1, SegmentMax: 4096, Reset: true, ResetAt: 100000}})
	proxyReset("reset after 1000 bytes of the request, mid-reply", "64 KiB request", clients.Payload(34, 64<<10),
		NetFaults{Up: reset(1000)})

	// TCP-RESET: a client's reset ends its own connection and nothing
	// else. The seed's handler catches ConnectionResetError and breaks; a
	// server that dies or stops accepting on a reset fails every other
	// client.
	clientReset := func(name string, c ResetCase) {
		t.add(Case{Req: ReqTCPReset, Group: "a reset ends that connection only; an open and a new connection are still served", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPReset(ctx, e, c) }})
	}
	clientReset("reset with no data", ResetBeforeData)
	clientReset("reset mid-stream", ResetMidStream)
	clientReset("reset while the server writes a large reply", ResetDuringReply)

	// TCP-DISCONNECT: a client that goes away without reading (a closed
	// terminal, a killed process) harms nothing else: the server's failed
	// send ends that handler only.
	disconnect := func(name string, c DisconnectCase) {
		t.add(Case{Req: ReqTCPDisconnect, Group: "a vanishing client harms nothing; an open and a new connection are still served", Name: name,
			Check: func(ctx context.Context, e Env) error { return TCPDisconnect(ctx, e, c) }})
	}
	disconnect("close without reading a large reply", CloseUnread)
	disconnect("close mid-write", CloseMidWrite)
	disconnect("close mid-reply", CloseMidReply)

	// TCP-CONCURRENT: connections are served at once, as the seed's
	// ThreadingTCPServer serves each in its own thread: a client that sits
	// idle or types slowly never holds up another. A server that serves
	// one connection at a time, or a fixed pool smaller than its clients,
	// fails.
	concurrent := func(name string, serial bool, p ConcurrentParams) {
		t.add(Case{Req: ReqTCPConcurrent, Name: name, Serial: serial, Timeout: HeavyCaseTimeout,
			Check: func(ctx context.Context, e Env) error { return TCPConcurrent(ctx, e, p) }})
	}
	concurrent("answers 100 slow clients at once while idle clients hold their connections", true,
		ConcurrentParams{Idle: 5, Slow: 100, BytesEach: 5, Pause: 20 * time.Millisecond})
	// The idle clients stay silent for longer than a reply may take (3
	// pauses), so a server that gives them the only (or every pooled)
	// handler answers no one else in time.
	concurrent("answers others while 20 idle clients hold their connections past the reply timeout", false,
		ConcurrentParams{Idle: 20, Slow: 5, BytesEach: 2, Pause: ReplyTimeout/3 + 100*time.Millisecond})

	// TCP-ISOLATION: many clients at once, each with a payload no other
	// client sends, each get exactly their own bytes back: shared buffers
	// or a connection handed the wrong socket show up as another client's
	// bytes.
	isolation := IsolationParams{Clients: 200, Size: 16 << 10, Seed: uint64(seed)}
	t.add(Case{Req: ReqTCPIsolation, Name: "gives each of 200 concurrent clients exactly its own bytes", Serial: true, Timeout: HeavyCaseTimeout,
		Check: func(ctx context.Context, e Env) error { return TCPIsolation(ctx, e, isolation) }})

	// TCP-CHURN: the server keeps accepting through thousands of short
	// connections, one after another and overlapping, some ending in a
	// reset: leaked sockets, threads or handlers show up as refused or
	// unanswered connections. At most 4 overlapping connections are in
	// flight: Python's socketserver listens with a backlog of 5, and an
	// overflowing accept queue drops or resets connections, which is the
	// kernel's doing, not a violation.
	churn := ChurnParams{Sequential: 2000, Overlapping: 500, Parallel: 4, ResetEvery: 10}
	t.add(Case{Req: ReqTCPChurn, Name: "serves 2000 sequential and 500 overlapping connections, every 10th reset", Serial: true, Timeout: HeavyCaseTimeout,
		Needs: []Req{ReqTCPReset},
		Check: func(ctx context.Context, e Env) error { return TCPChurn(ctx, e, churn) }})

	// TCP-EMPTYWRITE (INFO): a zero-length write puts nothing on the wire,
	// so the server has nothing to answer. That is why the seed's client
	// skips empty input: sending an empty message and waiting in
	// recv(1024) would wait forever. An observation; it never fails a run.
	t.add(Case{Req: ReqTCPEmptyWrite, Name: "gets no reply to a zero-length write",
		Seen:  "a zero-length write sent nothing and brought no reply; the next message got exactly its own reply",
		Check: TCPEmptyWrite})
}

// maxFailingBytes is how many failing byte values tcpEachByte reports
// before it stops: a server that never answers costs a few timeouts, not
// 256.
const maxFailingBytes = 3

// tcpEachByte checks TCP-BYTES for each of the 256 byte values alone, one
// connection after another, so that a server that serves one connection at
// a time is not blamed here.
func tcpEachByte(ctx context.Context, e Env) error {
	var errs []error
	for b := range 256 {
		if err := TCPBytes(ctx, e, fmt.Sprintf("byte 0x%02x alone", b), []byte{byte(b)}); err != nil {
			errs = append(errs, err)
		}
		if len(errs) == maxFailingBytes && b < 255 {
			e.logf("stopped after %d failing byte values, at 0x%02x", maxFailingBytes, b)
			break
		}
	}
	return errors.Join(errs...)
}

// oneByte slices a direction into 1-byte segments, delay apart.
func oneByte(delay time.Duration) StreamFaults {
	return StreamFaults{Segment: 1, Delay: delay}
}

// randomSegments slices a direction into segments of 1 to max bytes.
func randomSegments(max int, delay time.Duration) StreamFaults {
	return StreamFaults{Segment: 1, SegmentMax: max, Delay: delay}
}

// allBytes returns the byte values 0x00 to 0xff in order.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}
