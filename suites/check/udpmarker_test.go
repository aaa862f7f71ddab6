package check_test

import (
	"bytes"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

// serverstestUDP starts the reference UDP server until tb ends and returns
// its address.
func serverstestUDP(tb testing.TB) string {
	tb.Helper()
	s := serverstest.NewUDPServer()
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("closing the reference server: %v", err)
		}
	})
	return s.UDPAddr
}

// benchScript is a typical fuzz case: two sockets, one connected, one
// bursting.
func benchScript(marker bool) check.UDPScript {
	return check.UDPScript{Case: "bench", EndOnMarker: marker, Sockets: []check.UDPSocketScript{
		{Datagrams: [][]byte{[]byte("hello"), {}, []byte("straße")}},
		{Connected: true, Burst: true, Datagrams: [][]byte{[]byte("one"), []byte("two"), make([]byte, 1500)}},
	}}
}

// BenchmarkRunUDPEnd compares a script that listens for a Quiet period
// after its exchange with one that ends on its markers: cases per second
// against the reference.
func BenchmarkRunUDPEnd(b *testing.B) {
	for _, bc := range []struct {
		name   string
		marker bool
	}{{"quiet", false}, {"marker", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := serverstestUDP(b)
			e := check.Env{UDP: s}
			for b.Loop() {
				if err := check.RunUDP(b.Context(), e, benchScript(bc.marker)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
		})
	}
}

// startUDPFunc serves UDP on loopback with reply, which answers each
// datagram with the datagrams it returns, until the test ends.
func startUDPFunc(t *testing.T, reply func([]byte) [][]byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, d := range reply(bytes.Clone(buf[:n])) {
				pc.WriteTo(d, from)
			}
		}
	})
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

func TestEndOnMarkerPassesTheReference(t *testing.T) {
	e := check.Env{UDP: serverstestUDP(t), Logf: t.Logf}
	s := benchScript(true)
	// A request that starts with what would be a marker is answered and
	// judged as any other: the markers are chosen unlike it.
	s.Sockets[0].Datagrams = append(s.Sockets[0].Datagrams, []byte("upcheck end marker 0.0 and more"), []byte("and upcheck end marker 1.1"))
	for range 5 {
		if err := check.RunUDP(udpContext(t), e, s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEndOnMarkerJudgesOnlyTheScript(t *testing.T) {
	tests := []struct {
		name  string
		reply func([]byte) [][]byte
		want  string
	}{
		{"twice", func(d []byte) [][]byte { u := check.Upper(d); return [][]byte{u, u} }, "UDP-ONCE"},
		{"greeting after", func(d []byte) [][]byte { return [][]byte{check.Upper(d), []byte("bye")} }, "UDP-ONCE"},
		{"padded", func(d []byte) [][]byte { return [][]byte{append(check.Upper(d), "!!"...)} }, "UDP-ONCE"},
		// The marker's reply, behind the same header, is not judged: only
		// the script's replies are, as damaged ones.
		{"behind a header", func(d []byte) [][]byte { return [][]byte{append([]byte("ok "), check.Upper(d)...)} }, "UDP-BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := check.Env{UDP: startUDPFunc(t, tt.reply), Logf: t.Logf}
			s := check.UDPScript{Case: "marker", EndOnMarker: true, Sockets: []check.UDPSocketScript{
				{Datagrams: [][]byte{[]byte("one"), []byte("two")}, Burst: true},
				{Connected: true, Datagrams: [][]byte{[]byte("three")}},
			}}
			start := time.Now()
			err := check.RunUDP(udpContext(t), e, s)
			if took := time.Since(start); took > 10*check.Quiet {
				t.Logf("slow: %v", took)
			}
			vs := check.AsViolations(err)
			if got := vs.IDs(); !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("violated %v, want [%s]: %v", got, tt.want, err)
			}
			// The markers' replies are not judged: every finding is about
			// the script's own datagrams.
			if strings.Contains(err.Error(), "MARKER") {
				t.Errorf("a marker's reply was judged: %v", err)
			}
		})
	}
}
