package load

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// held is one idle-hold connection.
type held struct {
	c     *net.TCPConn
	close func(abort bool)
	k     int64 // checks done, which places the next one in the pattern
}

// idleHold opens Conns connections (Dialers at a time), each proved
// served by a first round trip, then holds them idle, checking every one
// with a round trip every Interval and once more at the end. A connection
// that fails a check died: it is counted, closed and not replaced.
func (e *engine) idleHold() {
	conns := make([]*held, e.cfg.Conns)
	e.parallel(len(conns), func(w, i int) {
		c, closeConn, err := e.dial()
		if err != nil {
			e.fail(err)
			return
		}
		h := &held{c: c, close: closeConn}
		if e.check(w, i, h) {
			conns[i] = h
		} else {
			closeConn(true)
		}
	})
	e.begin()
	for round := int64(1); ; round++ {
		// Wait for the next round, or the end of the run: then one last
		// check shows whether every connection still answers.
		last := clients.Sleep(e.soft, e.cfg.Interval) != nil || (e.cfg.Count > 0 && round >= e.cfg.Count)
		if e.ctx.Err() != nil {
			break
		}
		var died atomic.Int64
		e.parallel(len(conns), func(w, i int) {
			h := conns[i]
			if h == nil || e.check(w, i, h) {
				return
			}
			if e.ctx.Err() != nil {
				return // cut short by the interrupt: no verdict
			}
			died.Add(1)
			h.close(true)
			conns[i] = nil
		})
		e.died.Add(died.Load())
		if last {
			break
		}
	}
	e.finish()
	for _, h := range conns {
		if h != nil {
			e.held.Add(1)
			h.close(false)
		}
	}
}

// parallel runs fn(w, i) for i in [0, n) on Dialers workers (w is the
// worker's number) and waits for them all. It starts no new i once ctx has
// ended.
func (e *engine) parallel(n int, fn func(w, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range min(e.cfg.Dialers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || e.ctx.Err() != nil {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// check does one round trip on h, within Timeout, and reports whether the
// reply was right; a failure is counted.
func (e *engine) check(w, i int, h *held) bool {
	size := e.cfg.Size
	st := &e.stats[w]
	send, want := e.pat.at(i, h.k*int64(size), size)
	h.k++
	reply := make([]byte, size)
	t0 := time.Now()
	h.c.SetDeadline(t0.Add(e.cfg.Timeout))
	if _, err := h.c.Write(send); err != nil {
		e.fail(err)
		return false
	}
	st.sent.Add(int64(size))
	if _, err := io.ReadFull(h.c, reply); err != nil {
		e.fail(err)
		return false
	}
	e.hist.Record(time.Since(t0))
	if !bytes.Equal(reply, want) {
		e.mismatch("idle-hold: connection %d: check %d: %s", i, h.k-1, diff(reply, want))
		return false
	}
	st.recv.Add(int64(size))
	st.msgs.Add(1)
	return true
}
