package faultproxy

import (
	"fmt"
	"time"
)

// Direction names one direction of a proxied connection.
type Direction int

const (
	// Up is the direction from the client to the upstream server.
	Up Direction = iota
	// Down is the direction from the upstream server to the client.
	Down
)

// String returns "up" or "down".
func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Config says which faults a Proxy injects. Its zero value relays both
// directions unchanged. A connection uses the Config that was current when
// it was accepted.
type Config struct {
	// Seed seeds every random choice. Connection i (counted from 0 in
	// accept order) of two proxies with the same Seed and Faults makes the
	// same choices in each direction.
	Seed int64
	// Up holds the faults of the client-to-server direction, Down those of
	// the server-to-client direction.
	Up, Down Faults
	// Trace, if not nil, is called for every Event on every connection. It
	// is called from the relaying goroutines, possibly concurrently, and
	// must return quickly.
	Trace func(Event)
}

// Faults are the faults injected into one direction of a connection. The
// zero value injects none. Offsets count the bytes of that direction, from
// 0.
type Faults struct {
	// Latency holds back the first byte of the direction for this long
	// after it arrives; later bytes follow without it.
	Latency time.Duration
	// Segment, if positive, slices the direction into writes of Segment
	// bytes (1 for one byte per write). If SegmentMax is greater than
	// Segment, each segment's size is drawn uniformly from
	// [Segment, SegmentMax] instead. Segment boundaries fall at offsets
	// fixed by the sizes drawn; when fewer bytes have arrived than a
	// segment holds, the proxy writes what it has and completes the
	// segment when more arrive, rather than wait. Zero writes whatever
	// each read returns.
	Segment, SegmentMax int
	// Delay is the pause before each segment (or each read's worth of
	// bytes, when Segment is zero) but the first.
	Delay time.Duration
	// Reset, if true, resets both sides of the connection once ResetAt
	// bytes of the direction have been relayed: the receiving side gets
	// exactly ResetAt bytes, then a reset. With ResetAt 0 the connection
	// is reset as soon as it is established (a client may then see the
	// reset end its connect). Before the reset the proxy
	// waits, for at most a second, until the bytes it wrote have left its
	// sockets, so a reset never overtakes them. If the direction ends
	// (EOF) before ResetAt bytes, no reset is injected.
	Reset   bool
	ResetAt int64
	// Stall, if true, stops relaying the direction once StallAt bytes have
	// been relayed: the proxy neither reads nor writes it any more, and
	// keeps both sides open until the connection ends otherwise or the
	// Proxy is closed. The other direction goes on. If Reset and Stall
	// fall on the same offset, the reset wins.
	Stall   bool
	StallAt int64
}

func (f Faults) validate(dir string) error {
	switch {
	case f.Latency < 0:
		return fmt.Errorf("faultproxy: %s.Latency %v is negative", dir, f.Latency)
	case f.Delay < 0:
		return fmt.Errorf("faultproxy: %s.Delay %v is negative", dir, f.Delay)
	case f.Segment < 0:
		return fmt.Errorf("faultproxy: %s.Segment %d is negative", dir, f.Segment)
	case f.SegmentMax < 0:
		return fmt.Errorf("faultproxy: %s.SegmentMax %d is negative", dir, f.SegmentMax)
	case f.SegmentMax > 0 && f.Segment == 0:
		return fmt.Errorf("faultproxy: %s.SegmentMax %d is set but %s.Segment is 0", dir, f.SegmentMax, dir)
	case f.SegmentMax > 0 && f.SegmentMax < f.Segment:
		return fmt.Errorf("faultproxy: %s.SegmentMax %d is less than %s.Segment %d", dir, f.SegmentMax, dir, f.Segment)
	case f.ResetAt < 0:
		return fmt.Errorf("faultproxy: %s.ResetAt %d is negative", dir, f.ResetAt)
	case f.StallAt < 0:
		return fmt.Errorf("faultproxy: %s.StallAt %d is negative", dir, f.StallAt)
	}
	return nil
}

func (c Config) validate() error {
	if err := c.Up.validate("Up"); err != nil {
		return err
	}
	return c.Down.validate("Down")
}

// random reports whether segment sizes are drawn at random.
func (f Faults) random() bool { return f.Segment > 0 && f.SegmentMax > f.Segment }
