package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/ipv6test"
	"github.com/upcheck/upcheck/servers/serverstest"

	"github.com/upcheck/upcheck/clients"
)

// roundTripTCP sends p on a fresh connection and reads len(p) bytes back.
func roundTripTCP(t *testing.T, addr string, p []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := clients.DialTCP(ctx, addr)
	if err != nil {
		t.Fatalf("dial tcp %s: %v", addr, err)
	}
	defer c.Close()
	got, err := c.RoundTrip(ctx, p)
	if err != nil {
		t.Fatalf("round trip: %v (got %q)", err, got)
	}
	return got
}

// roundTripUDP sends p until a reply comes (loopback may lose one).
func roundTripUDP(t *testing.T, addr string, p []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := clients.DialUDP(ctx, addr)
	if err != nil {
		t.Fatalf("dial udp %s: %v", addr, err)
	}
	defer c.Close()
	d, _, err := c.RoundTrip(ctx, p, 10, nil)
	if err != nil {
		t.Fatalf("no udp reply from %s: %v", addr, err)
	}
	return d.Data
}

// checkServes checks that t's servers answer like the reference.
func checkServes(t *testing.T, tg *Target) {
	t.Helper()
	want := []byte("CLIENT33333")
	if a := tg.TCPAddr(); a != "" {
		if got := roundTripTCP(t, a, []byte("client33333")); !bytes.Equal(got, want) {
			t.Errorf("tcp reply %q, want %q", got, want)
		}
	}
	if a := tg.UDPAddr(); a != "" {
		if got := roundTripUDP(t, a, []byte("client33333")); !bytes.Equal(got, want) {
			t.Errorf("udp reply %q, want %q", got, want)
		}
	}
}

func TestDefaultTargetIsTheReference(t *testing.T) {
	tg, err := Start(context.Background(), Settings{}, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	if tg.TCPAddr() == "" || tg.UDPAddr() == "" {
		t.Fatalf("addresses %q %q, want both protocols", tg.TCPAddr(), tg.UDPAddr())
	}
	checkServes(t, tg)
	tcp, udp := tg.Probe()
	if !tcp.OK() || !udp.OK() || tcp.String() != `tcp: sent "a", got "A"` || udp.String() != `udp: sent "a", got "A"` {
		t.Errorf("probe %v / %v", tcp, udp)
	}
	if got := tg.Describe(); got != "reference servers (in process)" {
		t.Errorf("Describe() = %q", got)
	}
	if s := tg.Settings(); s.UDPMax != 8192 || s.TimeScale != 1 || s.Host != "127.0.0.1" {
		t.Errorf("Settings() = %+v, want the defaults filled in", s)
	}
	if err := tg.Healthy("TCP-EOF"); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if out := tg.Output(); out != "" {
		t.Errorf("Output() = %q, want none", out)
	}
	if err := tg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := tg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", tcp.Addr, time.Second); err == nil {
		t.Errorf("reference still listens after Close")
	}
}

func TestAlreadyRunningServers(t *testing.T) {
	tcpOnly := serverstest.NewTCPServer()
	defer tcpOnly.Close()
	udpOnly := serverstest.NewUDPServer()
	defer udpOnly.Close()
	for _, s := range []Settings{
		{TCP: tcpOnly.TCPAddr},
		{UDP: udpOnly.UDPAddr},
		{TCP: tcpOnly.TCPAddr, UDP: udpOnly.UDPAddr},
	} {
		tg, err := Start(context.Background(), s, nil)
		if err != nil {
			t.Fatalf("Start(%+v): %v", s, err)
		}
		if tg.TCPAddr() != s.TCP || tg.UDPAddr() != s.UDP {
			t.Errorf("addresses %q %q, want %q %q", tg.TCPAddr(), tg.UDPAddr(), s.TCP, s.UDP)
		}
		checkServes(t, tg)
		tcp, udp := tg.Probe()
		if tcp.Served() != (s.TCP != "") || udp.Served() != (s.UDP != "") || !tcp.OK() || !udp.OK() {
			t.Errorf("probe %v / %v", tcp, udp)
		}
		if s.UDP == "" && udp.String() != "udp: not served" {
			t.Errorf("udp probe %q", udp)
		}
		if err := tg.Healthy("TCP-ROUNDTRIP"); err != nil {
			t.Errorf("Healthy: %v", err)
		}
		if err := tg.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// TestTargetOnHost: the reference in process listens on the host it is
// given, and servers already running on ::1 are dialed there, TCP and UDP.
func TestTargetOnHost(t *testing.T) {
	t.Run("reference on 127.0.0.2", func(t *testing.T) {
		checkReferenceOn(t, "127.0.0.2", "127.0.0.2:", "reference servers (in process) on 127.0.0.2")
	})
	t.Run("reference on ::1", func(t *testing.T) {
		ipv6test.Need(t)
		checkReferenceOn(t, "::1", "[::1]:", "reference servers (in process) on ::1")
	})
	t.Run("already running on ::1", func(t *testing.T) {
		ipv6test.Need(t)
		srv := serverstest.NewUnstartedServer()
		srv.Host = "::1"
		srv.Start()
		defer srv.Close()
		for _, s := range []Settings{
			{TCP: srv.TCPAddr, UDP: srv.UDPAddr},
			{TCP: srv.TCPAddr, UDP: srv.UDPAddr, Host: "::1"},
		} {
			tg, err := Start(context.Background(), s, nil)
			if err != nil {
				t.Fatalf("Start(%+v): %v", s, err)
			}
			if !strings.HasPrefix(tg.TCPAddr(), "[::1]:") || !strings.HasPrefix(tg.UDPAddr(), "[::1]:") {
				t.Errorf("addresses %q %q, want them on ::1", tg.TCPAddr(), tg.UDPAddr())
			}
			checkServes(t, tg)
			if tcp, udp := tg.Probe(); !tcp.OK() || !udp.OK() {
				t.Errorf("probe %v / %v", tcp, udp)
			}
			if err := tg.Healthy("TCP-ROUNDTRIP"); err != nil {
				t.Errorf("Healthy: %v", err)
			}
			tg.Close()
		}
	})
}

func checkReferenceOn(t *testing.T, host, prefix, describe string) {
	t.Helper()
	tg, err := Start(context.Background(), Settings{Host: host}, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	if !strings.HasPrefix(tg.TCPAddr(), prefix) || !strings.HasPrefix(tg.UDPAddr(), prefix) {
		t.Errorf("addresses %q %q, want them on %s", tg.TCPAddr(), tg.UDPAddr(), host)
	}
	checkServes(t, tg)
	if tcp, udp := tg.Probe(); !tcp.OK() || !udp.OK() {
		t.Errorf("probe %v / %v", tcp, udp)
	}
	if got := tg.Describe(); got != describe {
		t.Errorf("Describe() = %q, want %q", got, describe)
	}
	if got := tg.Settings().Host; got != host {
		t.Errorf("Settings().Host = %q, want %q", got, host)
	}
}

// freeAddr returns a loopback address where nothing listens (for now).
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	p, err := pickPorts(DefaultHost, network == "tcp", network == "udp")
	if err != nil {
		t.Fatal(err)
	}
	return addr(DefaultHost, max(p.tcp, p.udp))
}

func TestNothingAnswersIsAHarnessError(t *testing.T) {
	tcpAddr, udpAddr := freeAddr(t, "tcp"), freeAddr(t, "udp")
	for _, tc := range []struct {
		s       Settings
		setting string
		want    string
	}{
		{Settings{TCP: tcpAddr}, "UPCHECK_TCP", "UPCHECK_TCP: nothing answers at " + tcpAddr + " (connection refused)"},
		{Settings{UDP: udpAddr, TimeScale: 0.1}, "UPCHECK_UDP", "UPCHECK_UDP: nothing answers at " + udpAddr + " (no reply to 5 datagrams)"},
	} {
		tg, err := Start(context.Background(), tc.s, nil)
		if tg != nil {
			tg.Close()
			t.Fatalf("Start(%+v) succeeded", tc.s)
		}
		var herr *HarnessError
		if !errors.As(err, &herr) || herr.Setting != tc.setting || err.Error() != tc.want {
			t.Errorf("Start(%+v) = %#v\nwant %s", tc.s, err, tc.want)
		}
	}
	// A name that does not resolve: the reason depends on the resolver
	// (no such host, or the DNS server's failure), the rest does not.
	s := Settings{TCP: "upcheck-no-such-host.invalid:9000"}
	tg, err := Start(context.Background(), s, nil)
	if tg != nil {
		tg.Close()
		t.Fatalf("Start(%+v) succeeded", s)
	}
	if want := "UPCHECK_TCP: nothing answers at upcheck-no-such-host.invalid:9000 ("; err == nil ||
		!strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Start(%+v) = %v, want %s...)", s, err, want)
	}
}

// serveWrongly runs TCP and UDP servers on loopback that answer with
// handle's reply; it stops them when the test ends.
func serveWrongly(t *testing.T, reply func([]byte) []byte) (tcpAddr, udpAddr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 1024)
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if r := reply(buf[:n]); r != nil {
					c.Write(r)
				}
			})
		}
	})
	wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(buf[:n]); r != nil {
				pc.WriteTo(r, from)
			}
		}
	})
	t.Cleanup(func() {
		ln.Close()
		pc.Close()
		wg.Wait()
	})
	return ln.Addr().String(), pc.LocalAddr().String()
}

// TestWrongAnswerIsAVerdictNotAHarnessError: a server that answers, wrongly,
// is there: Start succeeds and Probe says what came back.
func TestWrongAnswerIsAVerdictNotAHarnessError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reply   func([]byte) []byte
		tcpWant string
	}{
		{"echo", func(p []byte) []byte { return p }, `tcp: sent "a", got "a"`},
		{"garbage", func([]byte) []byte { return []byte("HTTP/1.1 400 Bad Request\r\n") }, `tcp: sent "a", got "HTTP/1.1 400 Bad Request\r\n"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcpAddr, udpAddr := serveWrongly(t, tc.reply)
			tg, err := Start(context.Background(), Settings{TCP: tcpAddr, UDP: udpAddr}, nil)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer tg.Close()
			tcp, udp := tg.Probe()
			if tcp.OK() || udp.OK() {
				t.Errorf("probe OK for a wrong server: %v / %v", tcp, udp)
			}
			if tcp.String() != tc.tcpWant {
				t.Errorf("tcp probe %q, want %q", tcp, tc.tcpWant)
			}
			if want := "udp" + strings.TrimPrefix(tc.tcpWant, "tcp"); udp.String() != want {
				t.Errorf("udp probe %q, want %q", udp, want)
			}
		})
	}
}

// TestClosingAtOnceIsAVerdict: a TCP server that accepts and closes
// without a byte is there, and wrong.
func TestClosingAtOnceIsAVerdict(t *testing.T) {
	tcpAddr, _ := serveWrongly(t, func([]byte) []byte { return nil })
	tg, err := Start(context.Background(), Settings{TCP: tcpAddr}, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	tcp, _ := tg.Probe()
	if tcp.OK() || tcp.String() != `tcp: sent "a", got nothing (EOF)` {
		t.Errorf("probe %q", tcp)
	}
}

// TestAddressThatGoesAway: Healthy blames the check during which a running
// server stopped listening, then says the target cannot be judged, then
// recovers when it is back.
func TestAddressThatGoesAway(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	var wg sync.WaitGroup
	serve := func(ln net.Listener) {
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 16)
				if n, _ := c.Read(buf); n > 0 {
					c.Write(bytes.ToUpper(buf[:n]))
				}
				c.Close()
			}
		})
	}
	serve(ln)
	defer wg.Wait()
	tg, err := Start(context.Background(), Settings{TCP: a}, nil)
	if err != nil {
		ln.Close()
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	if err := tg.Healthy("TCP-CHURN"); err != nil {
		t.Errorf("Healthy while up: %v", err)
	}
	ln.Close()
	err = tg.Healthy("TCP-CHURN")
	var derr *DownError
	if !errors.As(err, &derr) || err.Error() != "server stopped listening on tcp (connection refused) while checking TCP-CHURN" {
		t.Fatalf("Healthy after the server went = %#v", err)
	}
	err = tg.Healthy("TCP-RESET")
	var herr *HarnessError
	if !errors.As(err, &herr) || err.Error() != fmt.Sprintf("UPCHECK_TCP: nothing answers at %s (connection refused)", a) {
		t.Fatalf("Healthy while down = %#v", err)
	}
	ln, err = net.Listen("tcp", a)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", a, err)
	}
	serve(ln)
	defer ln.Close()
	if err := tg.Healthy("TCP-RESET"); err != nil {
		t.Errorf("Healthy once back: %v", err)
	}
}

// boundUDP binds a UDP socket on loopback that is never read, until the
// test ends: a UDP side that is there and never answers.
func boundUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// TestOneSilentProtocolIsAVerdict: already-running servers of which one
// protocol answers and the other does not are a target: the silent side's
// probe says what it saw, Env hands that to the checks, and Healthy leaves
// the silent side alone. Neither answering stays a harness error
// (TestNothingAnswersIsAHarnessError).
func TestOneSilentProtocolIsAVerdict(t *testing.T) {
	tcpRef := serverstest.NewTCPServer()
	defer tcpRef.Close()
	udpRef := serverstest.NewUDPServer()
	defer udpRef.Close()
	for _, tc := range []struct {
		name                 string
		s                    Settings
		tcpSilent, udpSilent string
	}{
		{"udp bound, never read", Settings{TCP: tcpRef.TCPAddr, UDP: boundUDP(t), TimeScale: 0.2}, "", "no reply to any of 5 datagrams"},
		{"tcp refused", Settings{TCP: freeAddr(t, "tcp"), UDP: udpRef.UDPAddr}, "connection refused", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := Start(context.Background(), tc.s, nil)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer tg.Close()
			tcp, udp := tg.Probe()
			if tcp.Silent != tc.tcpSilent || udp.Silent != tc.udpSilent {
				t.Errorf("probe silent %q / %q, want %q / %q", tcp.Silent, udp.Silent, tc.tcpSilent, tc.udpSilent)
			}
			if tc.udpSilent != "" && (udp.OK() || udp.String() != "udp: "+tc.udpSilent) {
				t.Errorf("udp probe OK %v, %q", udp.OK(), udp)
			}
			e := tg.Env(nil)
			if e.TCPSilent != tc.tcpSilent || e.UDPSilent != tc.udpSilent || e.TCP != tc.s.TCP || e.UDP != tc.s.UDP {
				t.Errorf("Env = %+v", e)
			}
			if err := tg.Healthy("UDP-ROUNDTRIP"); err != nil {
				t.Errorf("Healthy: %v", err)
			}
		})
	}
}
