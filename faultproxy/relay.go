package faultproxy

import (
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
)

// bufSize is the most bytes a direction reads at once; each direction of
// each connection holds one buffer of this size and nothing more.
const bufSize = 32 << 10

// relay copies one direction of a connection from src to dst, injecting the
// direction's Faults.
type relay struct {
	c        *conn
	dir      Direction
	f        Faults
	src, dst *net.TCPConn
	rng      *rand.Rand // nil unless segment sizes are random
	buf      []byte
	counter  *atomic.Int64 // the Proxy's byte count for dir

	off      int64 // bytes relayed so far
	started  bool  // whether a segment has been started
	segStart int64 // offset of the current segment
	segSize  int   // size of the current segment
	segLeft  int   // bytes of the current segment still to write
}

func newRelay(c *conn, dir Direction, src, dst *net.TCPConn) *relay {
	r := &relay{c: c, dir: dir, src: src, dst: dst, buf: make([]byte, bufSize)}
	if dir == Up {
		r.f, r.counter = c.cfg.Up, &c.p.stats.up
	} else {
		r.f, r.counter = c.cfg.Down, &c.p.stats.down
	}
	if r.f.random() {
		// One generator per connection and direction, so that the sizes
		// drawn do not depend on how the two directions interleave.
		r.rng = rand.New(rand.NewPCG(uint64(c.cfg.Seed), uint64(c.index)<<1|uint64(dir)))
	}
	return r
}

// run relays until the direction ends: EOF (passed on as a half-close), a
// reset or error on either side (passed on as a reset of both), an injected
// reset or stall, or the end of the connection.
func (r *relay) run() {
	for {
		if r.f.Reset && r.off >= r.f.ResetAt {
			r.endSegment()
			r.c.drain()
			if r.c.end(true) {
				r.c.p.stats.resets.Add(1)
				r.c.trace(r.dir, ResetInjected, r.off, 0)
			}
			return
		}
		if r.f.Stall && r.off >= r.f.StallAt {
			r.endSegment()
			if r.c.sleep(0) {
				r.c.p.stats.stalls.Add(1)
				r.c.trace(r.dir, Stalled, r.off, 0)
			}
			<-r.c.done
			return
		}
		n := len(r.buf)
		if lim, ok := r.limit(); ok && lim < int64(n) {
			// Never read past an offset where a fault fires, so the bytes
			// beyond it stay with the sender.
			n = int(lim)
		}
		m, err := r.src.Read(r.buf[:n])
		if m > 0 && !r.send(r.buf[:m]) {
			return
		}
		if err != nil {
			r.endSegment()
			if err == io.EOF {
				if werr := r.dst.CloseWrite(); werr != nil {
					r.passReset()
					return
				}
				r.c.trace(r.dir, HalfClosed, r.off, 0)
				return
			}
			r.passReset()
			return
		}
	}
}

// limit returns how many bytes may be relayed before the next fault offset,
// if one lies ahead.
func (r *relay) limit() (int64, bool) {
	lim, ok := int64(0), false
	for _, f := range [...]struct {
		on bool
		at int64
	}{{r.f.Reset, r.f.ResetAt}, {r.f.Stall, r.f.StallAt}} {
		if f.on && f.at > r.off && (!ok || f.at-r.off < lim) {
			lim, ok = f.at-r.off, true
		}
	}
	return lim, ok
}

// send writes b to dst in segments, pausing before each segment as the
// Faults say. It reports false if the connection ended.
func (r *relay) send(b []byte) bool {
	for len(b) > 0 {
		if r.segLeft == 0 {
			pause := r.f.Delay
			if !r.started {
				pause, r.started = r.f.Latency, true
			}
			if !r.c.sleep(pause) {
				return false
			}
			r.segStart, r.segSize = r.off, r.nextSize(len(b))
			r.segLeft = r.segSize
		}
		k := min(r.segLeft, len(b))
		if _, err := r.dst.Write(b[:k]); err != nil {
			r.passReset()
			return false
		}
		r.off += int64(k)
		r.counter.Add(int64(k))
		r.segLeft -= k
		b = b[k:]
		if r.segLeft == 0 {
			r.c.trace(r.dir, SegmentWritten, r.segStart, r.segSize)
		}
	}
	return true
}

// nextSize returns the size of the next segment, given that avail bytes are
// at hand.
func (r *relay) nextSize(avail int) int {
	switch {
	case r.f.Segment == 0:
		return avail
	case r.rng != nil:
		return r.f.Segment + r.rng.IntN(r.f.SegmentMax-r.f.Segment+1)
	}
	return r.f.Segment
}

// endSegment reports a segment cut short by the end of the direction.
func (r *relay) endSegment() {
	if r.segLeft == 0 {
		return
	}
	if written := r.segSize - r.segLeft; written > 0 {
		r.c.trace(r.dir, SegmentWritten, r.segStart, written)
	}
	r.segLeft = 0
}

// passReset resets both sides after a reset or error on one of them, unless
// the connection has already ended.
func (r *relay) passReset() {
	r.endSegment()
	r.c.drain()
	if r.c.end(true) {
		r.c.p.stats.passed.Add(1)
		r.c.trace(r.dir, ResetPassed, r.off, 0)
	}
}
