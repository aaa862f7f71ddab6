package load

import (
	"encoding/json"
	"errors"
	"io"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// Kind is the kind of a failed operation.
type Kind int

// The kinds of failure, in the order the summaries list them.
const (
	// Mismatch: a reply byte differs from the oracle's uppercase of the
	// byte sent, or a reply is longer than its request. A conformance
	// failure, whatever the load.
	Mismatch Kind = iota
	// Reset: the connection was reset (ECONNRESET, EPIPE).
	Reset
	// Timeout: an operation's deadline passed.
	Timeout
	// Refused: a connect was refused, or a UDP send drew an ICMP port
	// unreachable.
	Refused
	// Closed: the server ended the stream (EOF) before every reply byte.
	Closed
	// Other: any other error.
	Other
	numKinds
)

var kindNames = [numKinds]string{"mismatch", "reset", "timeout", "refused", "closed", "other"}

// String returns the kind's name as the summaries and the JSON spell it.
func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return "Kind(?)"
}

// KindOf classifies a network error.
func KindOf(err error) Kind {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return Reset
	case clients.IsTimeout(err):
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Closed
	}
	return Other
}

// Errors counts failed operations by kind.
type Errors [numKinds]int64

// Total returns the number of failures of every kind.
func (e Errors) Total() int64 {
	var n int64
	for _, v := range e {
		n += v
	}
	return n
}

// MarshalJSON writes the counts as an object keyed by kind name.
func (e Errors) MarshalJSON() ([]byte, error) {
	m := make(map[string]int64, numKinds)
	for k, v := range e {
		m[Kind(k).String()] = v
	}
	return json.Marshal(m)
}

// Latency summarises the latencies of a run: of a round trip (reqresp, udp,
// an idle-hold check), of a whole connection (churn), or from the write of
// a chunk to the arrival of its last reply byte (bulk).
type Latency struct {
	Count                     int64
	Mean, P50, P90, P99, P999 time.Duration
	Max                       time.Duration
}

// MarshalJSON writes the durations as microseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return json.Marshal(struct {
		Count int64   `json:"count"`
		Mean  float64 `json:"mean_us"`
		P50   float64 `json:"p50_us"`
		P90   float64 `json:"p90_us"`
		P99   float64 `json:"p99_us"`
		P999  float64 `json:"p999_us"`
		Max   float64 `json:"max_us"`
	}{l.Count, us(l.Mean), us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max)})
}

// Result is what a run measured.
type Result struct {
	Mode    Mode          `json:"mode"`
	Conns   int           `json:"conns"`
	Size    int           `json:"size"`
	Elapsed time.Duration `json:"-"`
	// Seconds is Elapsed in seconds, for JSON.
	Seconds float64 `json:"seconds"`
	// BytesSent counts request bytes written; BytesReceived counts reply
	// bytes read and found equal to the oracle's.
	BytesSent     int64 `json:"bytes_sent"`
	BytesReceived int64 `json:"bytes_received"`
	// Messages counts verified messages: bulk chunks whose every reply byte
	// came back, round trips (reqresp, udp, idle-hold checks), or whole
	// connections (churn).
	Messages int64 `json:"messages"`
	// MBps is BytesReceived per second in millions of bytes (as go test
	// reports MB/s); MsgPerSec is Messages per second.
	MBps      float64 `json:"mb_per_s"`
	MsgPerSec float64 `json:"msg_per_s"`
	Latency   Latency `json:"latency"`
	Errors    Errors  `json:"errors"`
	// Lost counts UDP datagrams whose reply did not come within UDPWait; a
	// datagram may be lost, so it is not an error. Late counts replies
	// that came after their wait had ended (correct, and not counted in
	// Messages).
	Lost int64 `json:"lost"`
	Late int64 `json:"late"`
	// Held is how many idle-hold connections answered the final check;
	// Died how many failed a check (each also counts as an error).
	Held int64 `json:"held"`
	Died int64 `json:"died"`
	// FirstMismatch describes the first mismatch without addresses or
	// times, so that it reads the same on every run; "" if none.
	FirstMismatch string `json:"first_mismatch,omitempty"`
	// Interrupted is true when ctx ended the run before its duration or
	// count: the figures are those of the run so far.
	Interrupted bool `json:"interrupted"`
}

// Failed reports whether the run saw a conformance failure: a mismatch.
func (r Result) Failed() bool { return r.Errors[Mismatch] > 0 }

// Snapshot is a run's progress, as Config.Progress receives it.
type Snapshot struct {
	Elapsed time.Duration
	// MBps and MsgPerSec are over the interval since the last snapshot.
	MBps, MsgPerSec float64
	Messages        int64
	// Open is the number of connections (or UDP sockets) open now.
	Open   int64
	Errors Errors
	Lost   int64
	Died   int64
}
