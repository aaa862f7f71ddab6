package fuzz

import (
	"bytes"
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
)

// boundaryBytes are the byte values where an uppercase transform goes wrong:
// the edges of a-z and A-Z, DEL, the Latin-1 letters a locale-aware toupper
// maps, UTF-8 lead and continuation bytes, and 0x00/0xFF.
var boundaryBytes = []byte{
	0x00, 0x0a, 0x20, 0x40, 'A', 'Z', 0x5b, 0x60, 'a', 'b', 'y', 'z', 0x7b, 0x7f,
	0x80, 0xaa, 0xb5, 0xbf, 0xc3, 0xdf, 0xe0, 0xe1, 0xf7, 0xfa, 0xfe, 0xff,
}

// ByteGen draws single bytes biased toward boundaryBytes.
func ByteGen() *rapid.Generator[byte] {
	return rapid.OneOf(rapid.SampledFrom(boundaryBytes), rapid.Byte(), rapid.ByteRange('a', 'z'))
}

// all256 is every byte value once, in order.
var all256 = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// DataGen draws a payload of 0 to maxLen bytes: a short run of biased bytes,
// a pattern repeated to a few KiB (cheap to draw, and it shrinks well), or a
// tail of the 256 byte values in order.
func DataGen(maxLen int) *rapid.Generator[[]byte] {
	short := rapid.SliceOfN(ByteGen(), 0, min(64, maxLen))
	repeated := rapid.Custom(func(t *rapid.T) []byte {
		pat := rapid.SliceOfN(ByteGen(), 1, 16).Draw(t, "pattern")
		n := rapid.IntRange(1, max(1, maxLen/len(pat))).Draw(t, "repeat")
		return bytes.Repeat(pat, n)
	})
	// The tail of all256, drawn by its length so that it shrinks toward
	// fewer bytes.
	every := rapid.Custom(func(t *rapid.T) []byte {
		n := rapid.IntRange(1, min(256, max(1, maxLen))).Draw(t, "tail")
		return bytes.Clone(all256[256-n:])
	})
	return rapid.OneOf(short, short, repeated, every)
}

// TCPStepGen draws one step of a connection: a write of 0 to maxWrite bytes
// (half the time), in one piece or in chunks; a pause; or a read of every
// reply so far.
//
// Chunks are often of 1 to 4 bytes, with a pause of a millisecond or two
// between them: each chunk then reaches the server in a read of its own, so
// that a pair of bytes is split across two reads as often as it is sent in
// one. A pause step is short, or long enough (5 to 20 ms) that the server
// has read everything before it.
func TCPStepGen(maxWrite int) *rapid.Generator[check.TCPStep] {
	chunk := rapid.OneOf(rapid.IntRange(1, 4), rapid.IntRange(1, 512))
	pause := rapid.OneOf(rapid.IntRange(0, 3), rapid.IntRange(5, 20))
	return rapid.Custom(func(t *rapid.T) check.TCPStep {
		switch rapid.IntRange(0, 3).Draw(t, "op") {
		case 2:
			return check.TCPStep{Op: check.Pause, Pause: time.Duration(pause.Draw(t, "pause_ms")) * time.Millisecond}
		case 3:
			return check.TCPStep{Op: check.Read}
		}
		st := check.TCPStep{Op: check.Write, Data: DataGen(maxWrite).Draw(t, "data")}
		if rapid.Bool().Draw(t, "chunked") {
			st.Chunks = rapid.SliceOfN(chunk, 1, 4).Draw(t, "chunks")
			// Pause between chunks only when there are few of them, so
			// that one input stays well under a second.
			if len(st.Data)/slices.Min(st.Chunks) <= 64 {
				st.Pause = time.Duration(rapid.IntRange(0, 2).Draw(t, "chunk_pause_ms")) * time.Millisecond
			}
		}
		return st
	})
}

// TCPConnGen draws one connection's script: 1 to maxSteps writes, pauses
// and reads, then an ending: half-close (most often), reset, abrupt close,
// or none (wait for every reply, then close). A connection in three starts
// late: it stays silent for 5 to 20 ms first, so that others run, end and
// half-close while it is open and has sent nothing. The steps are a slice,
// so that rapid shrinks a script by removing steps.
func TCPConnGen(maxSteps, maxWrite int) *rapid.Generator[check.TCPConnScript] {
	return rapid.Custom(func(t *rapid.T) check.TCPConnScript {
		var cs check.TCPConnScript
		cs.NoDelay = rapid.Bool().Draw(t, "nodelay")
		// 2 (not 0) starts late, so that shrinking leaves the wait out.
		if rapid.IntRange(0, 2).Draw(t, "late") == 2 {
			cs.Steps = append(cs.Steps, check.TCPStep{Op: check.Pause, Pause: time.Duration(rapid.IntRange(5, 20).Draw(t, "late_ms")) * time.Millisecond})
		}
		cs.Steps = append(cs.Steps, rapid.SliceOfN(TCPStepGen(maxWrite), 1, maxSteps).Draw(t, "steps")...)
		switch rapid.IntRange(0, 5).Draw(t, "end") {
		case 0, 1, 2:
			cs.Steps = append(cs.Steps, check.TCPStep{Op: check.HalfClose})
		case 3:
			cs.Steps = append(cs.Steps, check.TCPStep{Op: check.Reset})
		case 4:
			cs.Steps = append(cs.Steps, check.TCPStep{Op: check.Close})
		}
		return cs
	})
}

// TCPScriptGen draws 1 to maxConns concurrent connections.
func TCPScriptGen(maxConns, maxSteps, maxWrite int) *rapid.Generator[check.TCPScript] {
	return rapid.Custom(func(t *rapid.T) check.TCPScript {
		conns := rapid.SliceOfN(TCPConnGen(maxSteps, maxWrite), 1, maxConns).Draw(t, "conns")
		return check.TCPScript{Case: "fuzz", Conns: conns}
	})
}

// UDPSocketGen draws one socket's datagrams: up to eight, each of 0 to
// udpMax+1 bytes (the sizes around the declared maximum drawn often), sent
// one by one or in a burst (in batches of at most maxBurstBytes), from a
// connected or an unconnected socket.
func UDPSocketGen(udpMax int) *rapid.Generator[check.UDPSocketScript] {
	size := rapid.OneOf(
		rapid.IntRange(0, 64),
		rapid.IntRange(0, min(udpMax+1, check.MaxUDPPayload)),
		rapid.SampledFrom([]int{0, 1, 1023, 1024, 1025, 1472, udpMax - 1, udpMax, min(udpMax+1, check.MaxUDPPayload)}),
	)
	datagram := rapid.Custom(func(t *rapid.T) []byte {
		sz := max(0, size.Draw(t, "size"))
		if sz <= 64 {
			return rapid.SliceOfN(ByteGen(), sz, sz).Draw(t, "payload")
		}
		pat := rapid.SliceOfN(ByteGen(), 1, 16).Draw(t, "pattern")
		return bytes.Repeat(pat, sz/len(pat)+1)[:sz]
	})
	return rapid.Custom(func(t *rapid.T) check.UDPSocketScript {
		var s check.UDPSocketScript
		s.Connected = rapid.Bool().Draw(t, "connected")
		s.Burst = rapid.Bool().Draw(t, "burst")
		s.Datagrams = rapid.SliceOfN(datagram, 1, 8).Draw(t, "datagrams")
		if s.Burst {
			s.Window = burstWindow(s.Datagrams)
		}
		return s
	})
}

// maxBurstBytes caps the bytes one socket has in flight in a burst. Four
// sockets bursting eight datagrams of a large declared maximum at once
// (64 KiB each) would overflow loopback's socket buffers on every try, and a
// conforming server would be blamed for the loss; batches of at most this
// many bytes keep the exchange quick and the retries few.
const maxBurstBytes = 64 << 10

// burstWindow is the largest batch of ds that stays within maxBurstBytes
// (at least one datagram), or 0 when all of ds fits in one.
func burstWindow(ds [][]byte) int {
	largest := 1
	for _, d := range ds {
		largest = max(largest, len(d))
	}
	w := max(1, maxBurstBytes/largest)
	if w >= len(ds) {
		return 0
	}
	return w
}

// UDPScriptGen draws one to four sockets. Most scripts end on a marker
// exchange (check.UDPScript.EndOnMarker), which takes milliseconds; one in
// quietEvery listens for a whole Quiet period instead, for the duplicates
// and extras a server sends late.
func UDPScriptGen(udpMax int) *rapid.Generator[check.UDPScript] {
	if udpMax <= 0 {
		udpMax = check.DefaultUDPMax
	}
	return rapid.Custom(func(t *rapid.T) check.UDPScript {
		s := check.UDPScript{Case: "fuzz", Sockets: rapid.SliceOfN(UDPSocketGen(udpMax), 1, 4).Draw(t, "sockets")}
		// The last value (not 0) listens for Quiet, so that shrinking
		// ends on the marker when the failure does not need the wait.
		s.EndOnMarker = rapid.IntRange(0, quietEvery-1).Draw(t, "quiet") != quietEvery-1
		return s
	})
}

// quietEvery: one UDP script in quietEvery listens for a whole Quiet period.
const quietEvery = 16

// Limits of the drawn network faults: a case through the proxy must still
// finish well within caseTimeout and nativeTimeout. A delay is drawn only
// for segments of at least minDelayedSegment bytes, so that a case of
// maxTCPConns x maxTCPSteps x maxTCPWrite bytes pauses for a fraction of a
// second at most.
const (
	maxNetDelay       = 200 * time.Microsecond
	maxNetLatency     = 5 * time.Millisecond
	minDelayedSegment = 64
	maxNetSegment     = 1500
	maxNetResetAt     = 8192
)

// StreamFaultsGen draws the faults of one direction of a network: segments
// of 1 byte, of a fixed size, or of random sizes (or the stream as it comes),
// a delay between segments, a latency before the first byte, and now and
// then a reset at a byte offset. Everything shrinks toward no fault.
func StreamFaultsGen() *rapid.Generator[check.StreamFaults] {
	return rapid.Custom(func(t *rapid.T) check.StreamFaults {
		var f check.StreamFaults
		switch rapid.IntRange(0, 3).Draw(t, "segments") {
		case 1:
			f.Segment = 1
		case 2:
			f.Segment = rapid.IntRange(2, maxNetSegment).Draw(t, "segment")
		case 3:
			f.Segment = rapid.IntRange(1, maxNetSegment/2).Draw(t, "segment")
			f.SegmentMax = rapid.IntRange(f.Segment+1, maxNetSegment).Draw(t, "segment_max")
		}
		if f.Segment >= minDelayedSegment {
			f.Delay = time.Duration(rapid.Int64Range(0, int64(maxNetDelay/time.Microsecond)).Draw(t, "delay_us")) * time.Microsecond
		}
		f.Latency = time.Duration(rapid.Int64Range(0, int64(maxNetLatency/time.Millisecond)).Draw(t, "latency_ms")) * time.Millisecond
		if rapid.IntRange(0, 3).Draw(t, "reset") == 3 {
			f.Reset = true
			f.ResetAt = rapid.Int64Range(0, maxNetResetAt).Draw(t, "reset_at")
		}
		return f
	})
}

// NetFaultsGen draws the faults of a network between the clients and the
// server, each direction's on its own (see StreamFaultsGen), and the seed of
// random segment sizes.
func NetFaultsGen() *rapid.Generator[check.NetFaults] {
	return rapid.Custom(func(t *rapid.T) check.NetFaults {
		return check.NetFaults{
			Seed: rapid.Int64Range(0, 1<<20).Draw(t, "seed"),
			Up:   StreamFaultsGen().Draw(t, "up"),
			Down: StreamFaultsGen().Draw(t, "down"),
		}
	})
}
