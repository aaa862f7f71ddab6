package load

import (
	"fmt"
	"time"
)

// Mode is what a run does on each connection.
type Mode string

// The modes.
const (
	// Bulk: each connection writes a stream of Size-byte chunks while it
	// reads the replies concurrently, verifying every byte; at the end it
	// half-closes and reads to EOF. A message is a chunk.
	Bulk Mode = "bulk"
	// ReqResp: each connection sends a Size-byte message and reads its
	// whole reply before the next (one outstanding); the latency is the
	// round trip. At the end it half-closes and expects EOF with no byte
	// more.
	ReqResp Mode = "reqresp"
	// Churn: each worker connects, writes Size bytes, half-closes, reads
	// to EOF, closes, and again. A message is a connection.
	Churn Mode = "churn"
	// IdleHold: open Conns connections, hold them idle, and every Interval
	// check each with a round trip of Size bytes; a connection that fails
	// a check died. After the duration, a final check of every
	// connection. A message is a check round trip.
	IdleHold Mode = "idle-hold"
	// UDP: each of Conns connected sockets sends a Size-byte datagram and
	// waits up to UDPWait for its reply before the next; a reply that does
	// not come is lost (counted, not an error).
	UDP Mode = "udp"
)

// Modes lists every mode, in the order the usage text gives them.
var Modes = []Mode{Bulk, ReqResp, Churn, IdleHold, UDP}

// Defaults of Config's fields.
const (
	DefaultBulkSize    = 16 << 10
	DefaultSize        = 64
	DefaultTimeout     = 5 * time.Second
	DefaultUDPWait     = time.Second
	DefaultInterval    = 10 * time.Second
	DefaultDialers     = 64
	DefaultProgress    = time.Second
	MaxSize            = 1 << 20
	maxUDPPayload      = 65507
	minTimeoutFraction = 4 // deadlines are refreshed once Timeout/4 has passed
)

// Config describes a run. A run is bounded: it ends after Duration, after
// Count messages, when ctx ends, whichever comes first, and at least one of
// Duration and Count must be set.
type Config struct {
	Mode Mode
	// Addr is host:port of the server: TCP for every mode but UDP.
	Addr string
	// Conns is the number of connections (UDP: sockets, churn: workers
	// connecting at once); 0 means 1.
	Conns int
	// Size is the message size in bytes (bulk: the chunk written at once),
	// 1..MaxSize; 0 means DefaultBulkSize for bulk, DefaultSize otherwise.
	Size int
	// Duration bounds the run; 0 means only Count does.
	Duration time.Duration
	// Count bounds the messages sent in all connections together (for
	// idle-hold: the check rounds); 0 means only Duration does.
	Count int64
	// Rate caps the messages sent per second in all connections together;
	// 0 means no cap.
	Rate float64
	// Timeout bounds every operation: a connect, a write, a wait for reply
	// bytes; 0 means DefaultTimeout. Scale it for slow machines.
	Timeout time.Duration
	// UDPWait is how long a datagram's reply is awaited before it counts
	// as lost; 0 means DefaultUDPWait.
	UDPWait time.Duration
	// Interval is the pause between idle-hold check rounds; 0 means
	// DefaultInterval.
	Interval time.Duration
	// Dialers bounds the connects in progress at once (and the checks of
	// idle-hold); 0 means DefaultDialers.
	Dialers int
	// Echo says the server answers with the bytes it was sent, unchanged:
	// a baseline for benchmarks, not an uppercase server. Replies are
	// verified against the bytes sent instead of their uppercase.
	Echo bool
	// Progress, when not nil, is called every ProgressEvery (0 means
	// DefaultProgress) from a goroutine of its own while the run goes on.
	Progress      func(Snapshot)
	ProgressEvery time.Duration
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Conns == 0 {
		c.Conns = 1
	}
	if c.Size == 0 {
		c.Size = DefaultSize
		if c.Mode == Bulk {
			c.Size = DefaultBulkSize
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.UDPWait == 0 {
		c.UDPWait = DefaultUDPWait
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Dialers == 0 {
		c.Dialers = DefaultDialers
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = DefaultProgress
	}
	return c
}

// Validate checks c and returns its first problem in one line.
func (c Config) Validate() error {
	known := false
	for _, m := range Modes {
		known = known || c.Mode == m
	}
	maxSize := MaxSize
	if c.Mode == UDP {
		maxSize = maxUDPPayload
	}
	switch {
	case !known:
		return fmt.Errorf("load: unknown mode %q (want bulk, reqresp, churn, idle-hold or udp)", c.Mode)
	case c.Addr == "":
		return fmt.Errorf("load: no address to load")
	case c.Conns < 0:
		return fmt.Errorf("load: %d connections is negative", c.Conns)
	case c.Size < 0 || c.Size > maxSize:
		return fmt.Errorf("load: size %d is out of range 1..%d", c.Size, maxSize)
	case c.Duration < 0:
		return fmt.Errorf("load: duration %v is negative", c.Duration)
	case c.Count < 0:
		return fmt.Errorf("load: count %d is negative", c.Count)
	case c.Duration == 0 && c.Count == 0:
		return fmt.Errorf("load: set a duration or a count: a run is bounded")
	case c.Rate < 0 || c.Rate != c.Rate:
		return fmt.Errorf("load: rate %v is not a number >= 0", c.Rate)
	case c.Timeout < 0, c.UDPWait < 0, c.Interval < 0, c.ProgressEvery < 0:
		return fmt.Errorf("load: a timeout or interval is negative")
	case c.Dialers < 0:
		return fmt.Errorf("load: %d dialers is negative", c.Dialers)
	}
	return nil
}
