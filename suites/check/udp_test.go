package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
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

// TestSilentSideFailsAtOnce: against a target whose UDP side never answered
// the pre-flight probe, every UDP case fails at once under its own
// requirement with what the probe saw, without a datagram sent: the
// context is over before they start, which would leave a case that
// waited with no verdict at all.
func TestSilentSideFailsAtOnce(t *testing.T) {
	seen := "no reply to any of 57 datagrams"
	e := check.Env{TCP: "127.0.0.1:1", UDP: "127.0.0.1:9", UDPSilent: seen, Scale: 0.01}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	cases := check.Table(check.Options{})
	for _, c := range cases.Select(func(c check.Case) bool { return c.Proto() == "udp" }) {
		vs := check.AsViolations(c.Run(ctx, e))
		if len(vs) != 1 || vs[0].ID != string(c.Req) || vs[0].Observed != seen || vs[0].Case != c.Name {
			t.Errorf("%s: got %v, want one %s violation observing %q", c.FullName(), vs, c.Req, seen)
		}
	}
	e.TCPSilent, e.UDPSilent = "connection refused", ""
	c := cases.Select(func(c check.Case) bool { return c.Req == check.ReqTCPRoundTrip })[0]
	if vs := check.AsViolations(c.Run(ctx, e)); len(vs) != 1 || vs[0].ID != string(check.ReqTCPRoundTrip) || vs[0].Observed != "connection refused" {
		t.Errorf("%s with TCP silent: got %v", c.FullName(), vs)
	}
}

// TestSilenceShortensLaterWaits: once a script got nothing back from a
// server, later exchanges with it try each datagram check.SilentTries
// times; the first reply restores the full count.
func TestSilenceShortensLaterWaits(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer pc.Close()
	wg.Go(func() {
		select {
		case <-serve:
		case <-t.Context().Done():
			return
		}
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(bytes.ToUpper(buf[:n]), from)
		}
	})
	addr := pc.LocalAddr().String()
	e := check.Env{UDP: addr, Logf: t.Logf, Silence: check.NewSilence()}
	ctx := udpContext(t)
	for _, want := range []string{"no reply after 6 tries", "no reply after 2 tries"} {
		vs := check.AsViolations(check.UDPRoundTrip(ctx, e, "silent", []byte("a")))
		if len(vs) != 1 || vs[0].ID != string(check.ReqUDPRoundTrip) || vs[0].Observed != want {
			t.Fatalf("got %v, want one UDP-ROUNDTRIP violation observing %q", vs, want)
		}
		if !e.Silence.UDPSilent(addr) {
			t.Fatalf("not remembered silent after %q", want)
		}
	}
	close(serve)
	if err := check.UDPRoundTrip(ctx, e, "answering", []byte("b")); err != nil {
		t.Fatalf("once answering: %v", err)
	}
	if e.Silence.UDPSilent(addr) {
		t.Errorf("still remembered silent after a reply")
	}
}
