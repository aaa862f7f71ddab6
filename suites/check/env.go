package check

import (
	"context"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// DefaultUDPMax is the reference's declared maximum datagram payload:
// socketserver's max_packet_size.
const DefaultUDPMax = 8192

// Base timeouts, before Env.Scale. They bound waits for a positive signal
// (a reply, an EOF), so on a conforming server they are never reached.
const (
	// ReplyTimeout bounds the wait for a reply or an orderly close.
	ReplyTimeout = 3 * time.Second
	// DialTimeout bounds a connect, allowing for a listen backlog that
	// overflows and a SYN retransmitted after 1 s.
	DialTimeout = 5 * time.Second
	// UDPTry bounds one attempt of a UDP round trip; attempts are retried.
	UDPTry = 400 * time.Millisecond
	// UDPTries is how many times a datagram is sent before its loss counts.
	UDPTries = 6
	// Quiet is how long the UDP checks listen for datagrams that should
	// not come (duplicates, extras) once every expected reply has arrived.
	Quiet = 300 * time.Millisecond
	// MarkerQuiet is how long a socket of a script that ends on a marker
	// (UDPScript.EndOnMarker) listens on once the marker's reply has come.
	MarkerQuiet = 10 * time.Millisecond
)

// Env says where the server under test listens and how patient to be.
type Env struct {
	// TCP and UDP are host:port of the server; "" means not served.
	TCP, UDP string
	// UDPMax is the implementation's declared maximum datagram payload;
	// 0 means DefaultUDPMax.
	UDPMax int
	// Scale multiplies every timeout (UPCHECK_TIME_SCALE); 0 means 1.
	Scale float64
	// Logf receives ports, timings and other detail that must stay out of
	// failure text; nil discards it.
	Logf func(format string, args ...any)
	// TCPSilent and UDPSilent, when set, say what the pre-flight probe saw
	// of a side of the target that never answered while the other did
	// ("no reply to any of 57 datagrams", "connection refused"): the cases
	// of that protocol fail at once with that observation (Case.Run), and
	// the other protocol is judged as usual.
	TCPSilent, UDPSilent string
	// Silence, shared by the checks of a run, remembers UDP servers seen
	// silent, so that later checks wait less on them; nil: each check
	// waits in full.
	Silence *Silence
	// Findings, when set, records the faults the checks confirm, so that
	// later checks of the run do not wait them out again.
	Findings *Findings
}

// silent returns what the pre-flight probe saw of proto's side ("tcp" or
// "udp") when it never answered, "" otherwise.
func (e Env) silent(proto string) string {
	switch proto {
	case "tcp":
		return e.TCPSilent
	case "udp":
		return e.UDPSilent
	}
	return ""
}

// T scales a base timeout by e.Scale.
func (e Env) T(d time.Duration) time.Duration {
	if e.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * e.Scale)
}

func (e Env) udpMax() int {
	if e.UDPMax <= 0 {
		return DefaultUDPMax
	}
	return e.UDPMax
}

func (e Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// within returns ctx bounded by a scaled base timeout.
func (e Env) within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.T(d))
}

// dialTCP connects to the TCP target within DialTimeout.
func (e Env) dialTCP(ctx context.Context) (*clients.TCPConn, error) {
	dctx, cancel := e.within(ctx, DialTimeout)
	defer cancel()
	return clients.DialTCP(dctx, e.TCP)
}
