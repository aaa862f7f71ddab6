package perf

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/clients/load"
	"github.com/upcheck/upcheck/servers/serverstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runTimeout bounds a benchmark's run and a test's: the runs are bounded by
// a count, so only a hang waits it out.
const runTimeout = 5 * time.Minute

// server is one server under measurement, started on loopback.
type server struct {
	tcp, udp string
	echo     bool // a baseline: replies are the bytes sent
	close    func() error
}

// The servers' names, as the benchmarks' server= key spells them: each
// baseline first, so that benchstat -col /server takes it as the base.
const (
	reference = "reference"
	// referenceTCP is the reference TCP server alone, for measurements
	// that count goroutines (the UDP server's start their own).
	referenceTCP = "reference-tcp-only"
	plainEcho    = "plainecho"
	udpEcho      = "udpecho"
)

// start starts the named server, and closes it when tb ends.
func start(tb testing.TB, name string) server {
	tb.Helper()
	var s server
	switch name {
	case reference:
		ref := serverstest.NewServer()
		s = server{tcp: ref.TCPAddr, udp: ref.UDPAddr, close: ref.Close}
	case referenceTCP:
		ref := serverstest.NewTCPServer()
		s = server{tcp: ref.TCPAddr, close: ref.Close}
	case plainEcho:
		e, err := StartPlainEcho(0)
		if err != nil {
			tb.Fatal(err)
		}
		s = server{tcp: e.Addr(), echo: true, close: e.Close}
	case udpEcho:
		e, err := StartUDPEcho()
		if err != nil {
			tb.Fatal(err)
		}
		s = server{udp: e.Addr(), echo: true, close: e.Close}
	default:
		tb.Fatalf("no server %q", name)
	}
	tb.Cleanup(func() {
		if err := s.close(); err != nil {
			tb.Errorf("closing %s: %v", name, err)
		}
	})
	return s
}

// run runs cfg against s and fails tb on any failure: the benchmarks
// measure correct servers only.
func run(tb testing.TB, s server, cfg load.Config) load.Result {
	tb.Helper()
	cfg.Addr, cfg.Echo = s.tcp, s.echo
	if cfg.Mode == load.UDP {
		cfg.Addr = s.udp
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if res.Errors.Total() > 0 || res.Interrupted {
		tb.Fatalf("%s against %s: errors %v (%s)", cfg.Mode, cfg.Addr, res.Errors, res.FirstMismatch)
	}
	return res
}

// TestBaselines checks that the baselines echo every byte, with the load
// engine's own verification, so that a benchmark never measures a broken
// baseline.
func TestBaselines(t *testing.T) {
	tcp, udp := start(t, plainEcho), start(t, udpEcho)
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn, load.IdleHold} {
		res := run(t, tcp, load.Config{Mode: mode, Conns: 4, Count: 40, Interval: time.Millisecond})
		if res.Messages == 0 || res.BytesReceived == 0 {
			t.Fatalf("%s: %d messages, %d bytes", mode, res.Messages, res.BytesReceived)
		}
	}
	res := run(t, udp, load.Config{Mode: load.UDP, Conns: 4, Count: 100, Size: 1400})
	if res.Messages+res.Lost != 100 || res.Messages == 0 {
		t.Fatalf("udp: %d answered, %d lost, want 100 in all", res.Messages, res.Lost)
	}
}
