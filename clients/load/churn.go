package load

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// churn runs Conns workers, each connecting, writing Size bytes,
// half-closing, reading to EOF and closing, again and again until the run
// is over. A message is one whole connection; its latency runs from the
// connect to the close.
func (e *engine) churn() {
	var wg sync.WaitGroup
	e.begin()
	for i := range e.cfg.Conns {
		wg.Go(func() {
			st := &e.stats[i]
			reply := make([]byte, e.cfg.Size+1) // one byte more: a longer reply shows
			var b backoff
			for k := int64(0); e.claim(); k++ {
				if e.churnOnce(i, k, st, reply) {
					b = 0
				} else if !b.wait(e.soft) {
					return
				}
			}
		})
	}
	wg.Wait()
	e.finish()
}

// churnOnce is one connection of worker i, its k-th; it reports whether it
// went right (a failure is counted).
func (e *engine) churnOnce(i int, k int64, st *stats, reply []byte) bool {
	size := e.cfg.Size
	send, want := e.pat.at(i, k*int64(size), size)
	t0 := time.Now()
	c, closeConn, err := e.dial()
	if err != nil {
		e.fail(err)
		return false
	}
	ok := false
	defer func() { closeConn(!ok) }()
	c.SetDeadline(t0.Add(e.cfg.Timeout))
	if _, err := c.Write(send); err != nil {
		e.fail(err)
		return false
	}
	st.sent.Add(int64(size))
	if err := c.CloseWrite(); err != nil {
		e.fail(err)
		return false
	}
	c.SetDeadline(time.Now().Add(e.cfg.Timeout))
	n, err := io.ReadFull(c, reply)
	switch {
	case n > size:
		e.mismatch("churn: worker %d: connection %d: more reply bytes than the %d sent", i, k, size)
		return false
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		// The stream ended: the reply must be all there.
		if !bytes.Equal(reply[:n], want) {
			if n < size && bytes.Equal(reply[:n], want[:n]) {
				e.failKind(Closed)
				return false
			}
			e.mismatch("churn: worker %d: connection %d: %s", i, k, diff(reply[:n], want))
			return false
		}
	case err != nil:
		e.fail(err)
		return false
	}
	ok = true
	st.recv.Add(int64(size))
	st.msgs.Add(1)
	e.hist.Record(time.Since(t0))
	return true
}
