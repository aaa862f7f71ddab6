package load

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// bulkReadSize is the most a bulk reader asks the socket for at once.
const bulkReadSize = 64 << 10

// mark is where a chunk ends in the stream and when its write began: the
// reader times the chunk when the reply reaches its end.
type mark struct {
	end int64
	at  time.Time
}

// bulk writes chunks on c in one goroutine and reads and verifies the reply
// stream in this one, until the run is over; then it half-closes and reads
// to EOF. It returns nil when every byte written came back right and the
// stream ended in order.
func (e *engine) bulk(i int, c *net.TCPConn, st *stats) error {
	size := e.cfg.Size
	marks := make(chan mark, 1024)
	readerDone := make(chan struct{})
	// committed is how far the stream will reach once the write in
	// progress is done: reply bytes beyond it were never asked for.
	var committed atomic.Int64
	type written struct {
		n     int64
		err   error
		early bool // the reader ended first: the stream ended unasked
	}
	wdone := make(chan written, 1)
	go func() {
		dl := deadline{set: c.SetWriteDeadline, timeout: e.cfg.Timeout}
		var pos int64
		var err error
		early := false
	loop:
		for e.claim() {
			send, _ := e.pat.at(i, pos, size)
			now := time.Now()
			select {
			case marks <- mark{pos + int64(size), now}:
			case <-readerDone:
				early = true
				break loop
			}
			committed.Store(pos + int64(size))
			dl.refresh(now)
			var n int
			n, err = c.Write(send)
			pos += int64(n)
			st.sent.Add(int64(n))
			if err != nil {
				break
			}
		}
		committed.Store(pos)
		if err == nil {
			err = c.CloseWrite()
		}
		wdone <- written{pos, err, early}
	}()

	rerr := e.bulkRead(i, c, st, marks, &committed)
	close(readerDone)
	if rerr != nil {
		// Stop a writer blocked on a server that no longer reads.
		c.SetWriteDeadline(aLongTimeAgo)
	}
	w := <-wdone
	switch {
	case rerr != nil:
		return rerr
	case w.err != nil:
		e.fail(w.err)
		return w.err
	case w.early:
		e.failKind(Closed)
		return fmt.Errorf("stream ended after %d bytes, before the client half-closed: %w", w.n, io.ErrUnexpectedEOF)
	}
	return nil
}

// errMismatch is returned by a connection that saw a mismatch, which is
// counted where it is found.
var errMismatch = fmt.Errorf("mismatch")

// bulkRead reads and verifies the reply stream of connection i until EOF
// or a failure, which it counts and returns.
func (e *engine) bulkRead(i int, c *net.TCPConn, st *stats, marks <-chan mark, committed *atomic.Int64) error {
	buf := make([]byte, min(bulkReadSize, e.pat.period))
	dl := deadline{set: c.SetReadDeadline, timeout: e.cfg.Timeout}
	var pos int64
	var pending mark
	havePending := false
	for {
		dl.refresh(time.Now())
		n, err := c.Read(buf)
		if n > 0 {
			if pos+int64(n) > committed.Load() {
				e.mismatch("bulk: connection %d: %d reply bytes, but only %d were sent", i, pos+int64(n), committed.Load())
				return errMismatch
			}
			_, want := e.pat.at(i, pos, n)
			if !bytes.Equal(buf[:n], want) {
				e.mismatch("bulk: connection %d: at stream offset %d: %s", i, pos, diff(buf[:n], want))
				return errMismatch
			}
			pos += int64(n)
			st.recv.Add(int64(n))
			now := time.Now()
			for {
				if !havePending {
					select {
					case pending = <-marks:
						havePending = true
					default:
					}
					if !havePending {
						break
					}
				}
				if pending.end > pos {
					break
				}
				e.hist.Record(now.Sub(pending.at))
				st.msgs.Add(1)
				havePending = false
			}
		}
		if err == nil {
			continue
		}
		if err == io.EOF {
			// The writer half-closes only after its last write, and a
			// conforming server closes only after the half-close, but a
			// server that closes early ends the stream here too.
			if sent := committed.Load(); pos < sent {
				e.failKind(Closed)
				return fmt.Errorf("stream ended after %d of %d bytes: %w", pos, sent, io.ErrUnexpectedEOF)
			}
			return nil
		}
		e.fail(err)
		return err
	}
}
