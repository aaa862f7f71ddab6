package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

// udpTestTimeout bounds each UDP test: far beyond what a check needs.
const udpTestTimeout = 30 * time.Second

func udpContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), udpTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// udpReference starts the reference UDP server and returns an Env for it.
func udpReference(t *testing.T) check.Env {
	t.Helper()
	s := serverstest.NewUDPServer()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing the reference server: %v", err)
		}
	})
	return check.Env{UDP: s.UDPAddr, Logf: t.Logf}
}

// allBytes is every byte value once.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestUDPReferencePassesEveryCheck(t *testing.T) {
	e := udpReference(t)
	ctx := udpContext(t)
	type namedCheck struct {
		name string
		run  func() error
	}
	checks := []namedCheck{
		{"roundtrip 1 byte", func() error { return check.UDPRoundTrip(ctx, e, "1 byte", []byte("a")) }},
		{"roundtrip seed", func() error { return check.UDPRoundTrip(ctx, e, "client33333", []byte("client33333")) }},
		{"bytes all values", func() error { return check.UDPBytes(ctx, e, "all 256 byte values", allBytes()) }},
		{"bytes utf-8", func() error { return check.UDPBytes(ctx, e, "UTF-8", []byte("héllo ß 😀 straße")) }},
		{"bytes invalid utf-8", func() error { return check.UDPBytes(ctx, e, "invalid UTF-8", []byte("a\xff\xfeb\xc3")) }},
		{"empty", func() error { return check.UDPEmpty(ctx, e) }},
		{"source", func() error { return check.UDPSource(ctx, e) }},
		{"once", func() error { return check.UDPOnce(ctx, e, 100) }},
		{"concurrent", func() error { return check.UDPConcurrent(ctx, e, 50, 20) }},
	}
	for _, size := range check.UDPSizes(check.DefaultUDPMax) {
		checks = append(checks, namedCheck{fmt.Sprintf("size %d", size), func() error { return check.UDPSize(ctx, e, size) }})
	}
	// The flood first and alone; then the rest together, as a server
	// meets them.
	t.Run("survive", func(t *testing.T) {
		if err := check.UDPSurvive(ctx, e, 2000); err != nil {
			t.Errorf("reference server failed:\n%v", err)
		}
	})
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				if err := c.run(); err != nil {
					t.Errorf("reference server failed:\n%v", err)
				}
			})
		})
	}
	wg.Wait()
}

func TestUDPSizesCoverTheBoundaries(t *testing.T) {
	if got, want := check.UDPSizes(8192), []int{0, 1, 1472, 8191, 8192, 8193, 65507}; !slices.Equal(got, want) {
		t.Errorf("UDPSizes(8192) = %v, want %v", got, want)
	}
	if got, want := check.UDPSizes(65507), []int{0, 1, 1472, 65506, 65507}; !slices.Equal(got, want) {
		t.Errorf("UDPSizes(65507) = %v, want %v", got, want)
	}
	err := check.UDPSize(t.Context(), check.Env{UDP: "127.0.0.1:9"}, 65508)
	if !errors.Is(err, check.ErrDatagramTooLarge) {
		t.Errorf("UDPSize(65508) = %v, want ErrDatagramTooLarge", err)
	}
}

// TestUDPScriptReference runs a script with every awkward feature against
// the reference: identical payloads, empty and oversized datagrams, bursts
// and round trips, connected and unconnected sockets, judged by symptom.
func TestUDPScriptReference(t *testing.T) {
	e := udpReference(t)
	big := clients.Payload(7, 70000) // cut to 65507, answered with 8192 bytes
	s := check.UDPScript{Case: "mixed", Sockets: []check.UDPSocketScript{
		{Datagrams: [][]byte{[]byte("same"), []byte("same"), {}, []byte("x"), big}, Burst: true},
		{Connected: true, Datagrams: [][]byte{[]byte("same"), {}, {}, clients.Payload(1, 8193)}},
		{Connected: true, Datagrams: [][]byte{allBytes(), clients.Payload(2, 8192)}, Burst: true},
		{Datagrams: [][]byte{[]byte("same")}},
	}}
	if err := check.RunUDP(udpContext(t), e, s); err != nil {
		t.Fatalf("reference server failed:\n%v", err)
	}
}

func TestUDPScriptJSONRoundTrip(t *testing.T) {
	s := check.UDPScript{ID: "UDP-ONCE", Case: "c", SkipFinalProbe: true, Sockets: []check.UDPSocketScript{
		{Connected: true, Burst: true, Datagrams: [][]byte{{}, []byte("a\x00\xff")}},
	}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back check.UDPScript
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) || back.Sockets[0].Connected != true || string(back.Sockets[0].Datagrams[1]) != "a\x00\xff" || len(back.Sockets[0].Datagrams[0]) != 0 {
		t.Errorf("script changed through JSON: %s -> %+v", b, back)
	}
}

func TestUDPNoAddress(t *testing.T) {
	err := check.RunUDP(t.Context(), check.Env{}, check.UDPScript{})
	if err == nil || check.AsViolations(err) != nil {
		t.Errorf("RunUDP without an address = %v, want a plain error", err)
	}
}

// A faulty server: it reads datagrams into a buffer of bufSize bytes and
// hands each to handle, which writes what it likes with reply.
type udpFault struct {
	bufSize int
	// recvErr sets IP_RECVERR, so that an ICMP error a reply provokes is
	// reported on the next read, as Windows does for every UDP socket.
	recvErr bool
	// stopOnErr ends the server at its first read error.
	stopOnErr bool
	// replyFrom, if set, sends every reply from a socket of its own.
	replyFrom bool
	handle    func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort))
}

// start serves f on 127.0.0.1:0 until the test ends and returns its Env.
func (f udpFault) start(t *testing.T) check.Env {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	out := pc
	if f.replyFrom {
		if out, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if f.recvErr {
		raw, err := pc.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var serr error
		if err := raw.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVERR, 1)
		}); err != nil || serr != nil {
			t.Fatal(err, serr)
		}
	}
	reply := func(p []byte, to netip.AddrPort) { out.WriteToUDPAddrPort(p, to) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, max(f.bufSize, 1))
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) || f.stopOnErr {
					return
				}
				time.Sleep(time.Millisecond)
				continue
			}
			f.handle(buf[:n], from, reply)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		out.Close()
		<-done
	})
	// Tests of faulty servers run in parallel, each server with its socket
	// to itself, at the default pace (slower on a slow machine): a reply
	// that comes late under load must not add a requirement to the exact
	// set a test expects.
	return check.Env{UDP: pc.LocalAddr().String(), Scale: slow.Factor(), Logf: t.Logf}
}

func upperReply(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
	reply(check.Upper(data), from)
}

var (
	answerTwice = udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		reply(check.Upper(data), from)
		reply(check.Upper(data), from)
	}}
	unicodeUpper = udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		reply(bytes.ToUpper(data), from)
	}}
	otherSocket = udpFault{bufSize: 8192, replyFrom: true, handle: upperReply}
	ignoreEmpty = udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		if len(data) > 0 {
			reply(check.Upper(data), from)
		}
	}}
	smallBuffer = udpFault{bufSize: 1024, handle: upperReply}
	// chatty sends a greeting before every reply.
	chatty = udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		reply([]byte("\x00\x01 hi there"), from)
		reply(check.Upper(data), from)
	}}
	// noMaximum reads whole datagrams, whatever the declared maximum.
	noMaximum = udpFault{bufSize: 65536, handle: upperReply}
	// fragile ends at its first read error, as the seed's server would
	// without its except ConnectionResetError on Windows.
	fragile = udpFault{bufSize: 8192, recvErr: true, stopOnErr: true, handle: upperReply}
)

// padded answers with as many bytes as the longest datagram so far, from a
// buffer it never clears.
func padded() udpFault {
	var longest int
	var last []byte
	return udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		longest = max(longest, len(data))
		last = append(last[:0], check.Upper(data)...)
		for len(last) < longest {
			last = append(last, '#')
		}
		reply(last, from)
	}}
}

// crossTalk answers every datagram, but sends each reply to the previous
// datagram's source.
func crossTalk() udpFault {
	var prev netip.AddrPort
	return udpFault{bufSize: 8192, handle: func(data []byte, from netip.AddrPort, reply func([]byte, netip.AddrPort)) {
		to := prev
		if !to.IsValid() {
			to = from
		}
		prev = from
		reply(check.Upper(data), to)
	}}
}

// portPattern finds a port number in failure text, which must have none.
var portPattern = regexp.MustCompile(`:\d{2,5}\b`)

func TestUDPFaultsAreFound(t *testing.T) {
	burst := func(ds ...[]byte) check.UDPScript {
		return check.UDPScript{Case: "burst", Sockets: []check.UDPSocketScript{{Datagrams: ds, Burst: true}}}
	}
	tests := []struct {
		name  string
		fault func() udpFault
		run   func(ctx context.Context, e check.Env) error
		want  []string
	}{
		{"answer twice: once", func() udpFault { return answerTwice }, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 20) }, []string{"UDP-ONCE"}},
		{"answer twice: by symptom", func() udpFault { return answerTwice }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("one"), []byte("two")))
		}, []string{"UDP-ONCE"}},
		{"bytes.ToUpper: bytes", func() udpFault { return unicodeUpper }, func(ctx context.Context, e check.Env) error {
			return check.UDPBytes(ctx, e, "all 256 byte values", allBytes())
		}, []string{"UDP-BYTES"}},
		{"bytes.ToUpper: by symptom", func() udpFault { return unicodeUpper }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("fine"), []byte("straße"), []byte("a\xffb")))
		}, []string{"UDP-BYTES"}},
		{"other socket: source", func() udpFault { return otherSocket }, check.UDPSource, []string{"UDP-SOURCE"}},
		{"other socket: connected only, by symptom", func() udpFault { return otherSocket }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, check.UDPScript{Sockets: []check.UDPSocketScript{{Connected: true, Datagrams: [][]byte{[]byte("hello")}}}})
		}, []string{"UDP-SOURCE"}},
		{"other socket: unconnected, by symptom", func() udpFault { return otherSocket }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("hello"), []byte("again")))
		}, []string{"UDP-SOURCE"}},
		{"chatty: once", func() udpFault { return chatty }, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 10) }, []string{"UDP-ONCE"}},
		{"chatty: by symptom", func() udpFault { return chatty }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("hello")))
		}, []string{"UDP-ONCE"}},
		{"ignore empty: empty", func() udpFault { return ignoreEmpty }, func(ctx context.Context, e check.Env) error { return check.UDPEmpty(ctx, e) }, []string{"UDP-EMPTY"}},
		{"ignore empty: by symptom", func() udpFault { return ignoreEmpty }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("x"), []byte{}))
		}, []string{"UDP-EMPTY"}},
		{"1024-byte buffer: size 1472", func() udpFault { return smallBuffer }, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 1472) }, []string{"UDP-SIZE"}},
		{"1024-byte buffer: by symptom", func() udpFault { return smallBuffer }, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst(clients.Payload(1, 1024), clients.Payload(2, 1025)))
		}, []string{"UDP-SIZE"}},
		{"no maximum: size max+1", func() udpFault { return noMaximum }, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 8193) }, []string{"UDP-SIZE"}},
		{"padded: once", padded, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 10) }, []string{"UDP-ONCE"}},
		{"cross-talk: concurrent", crossTalk, func(ctx context.Context, e check.Env) error { return check.UDPConcurrent(ctx, e, 4, 5) }, []string{"UDP-CONCURRENT"}},
		{"cross-talk: by symptom", crossTalk, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, check.UDPScript{Sockets: []check.UDPSocketScript{
				{Datagrams: [][]byte{clients.Payload(1, 20), clients.Payload(2, 20)}},
				{Datagrams: [][]byte{clients.Payload(3, 20), clients.Payload(4, 20)}},
			}})
		}, []string{"UDP-CONCURRENT"}},
		{"fragile: survive", func() udpFault { return fragile }, func(ctx context.Context, e check.Env) error { return check.UDPSurvive(ctx, e, 2000) }, []string{"UDP-SURVIVE"}},
	}
	// All at once, beyond -parallel: most of the time goes in waiting out
	// replies that never come, and each fault has a server of its own.
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tt := range tests {
		wg.Go(func() {
			t.Run(tt.name, func(t *testing.T) {
				e := tt.fault().start(t)
				ctx := udpContext(t)
				start := time.Now()
				err := tt.run(ctx, e)
				t.Logf("%v:\n%v", time.Since(start).Round(time.Millisecond), err)
				vs := check.AsViolations(err)
				if err != nil && vs == nil {
					t.Fatalf("got a plain error, want violations: %v", err)
				}
				if got := vs.IDs(); !slices.Equal(got, tt.want) {
					t.Errorf("violated %v, want %v", got, tt.want)
				}
				for _, v := range vs {
					if portPattern.MatchString(v.Error()) {
						t.Errorf("failure text names a port: %s", v)
					}
				}
			})
		})
	}
}

// TestUDPFailureTextIsDeterministic runs the same failing checks twice and
// wants the same text, as property-based shrinking needs.
func TestUDPFailureTextIsDeterministic(t *testing.T) {
	for _, f := range []struct {
		name  string
		fault udpFault
		run   func(ctx context.Context, e check.Env) error
	}{
		{"bytes", unicodeUpper, func(ctx context.Context, e check.Env) error { return check.UDPBytes(ctx, e, "UTF-8", []byte("héllo")) }},
		{"size", smallBuffer, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 8192) }},
		{"once", answerTwice, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 5) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			ctx := udpContext(t)
			var texts []string
			for range 2 {
				e := f.fault.start(t)
				err := f.run(ctx, e)
				if err == nil {
					t.Fatal("no violation")
				}
				texts = append(texts, err.Error())
			}
			if texts[0] != texts[1] {
				t.Errorf("failure text differs between runs:\n%s\n%s", texts[0], texts[1])
			}
		})
	}
}

func TestUDPInterruptedIsNoVerdict(t *testing.T) {
	e := ignoreEmpty.start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := check.UDPEmpty(ctx, e)
	if !errors.Is(err, context.DeadlineExceeded) || check.AsViolations(err) != nil {
		t.Errorf("UDPEmpty with an expiring context = %v, want the context's error and no violation", err)
	}
}

func TestUDPSurviveInterruptedIsNoVerdict(t *testing.T) {
	silent := udpFault{bufSize: 8192, handle: func([]byte, netip.AddrPort, func([]byte, netip.AddrPort)) {}}
	e := silent.start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := check.UDPSurvive(ctx, e, 10)
	if !errors.Is(err, context.DeadlineExceeded) || check.AsViolations(err) != nil {
		t.Errorf("UDPSurvive with an expiring context = %v, want the context's error and no violation", err)
	}
}
