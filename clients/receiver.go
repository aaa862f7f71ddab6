package clients

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// receiverPoll is how long one read of a Receiver may block before it looks
// again whether it was stopped: a backstop, since Stop also wakes it.
const receiverPoll = 100 * time.Millisecond

// Receiver reads every datagram arriving on a UDPConn in the background, so a
// test can send a burst and then match replies to requests by content.
//
// ICMP errors reported on a connected socket (ECONNREFUSED) do not stop it;
// closing the socket does (see Err). Nobody else may read the socket until
// Stop has returned.
type Receiver struct {
	c     *UDPConn
	limit int
	stop  chan struct{} // closed by Stop
	done  chan struct{} // closed when the reading goroutine has ended
	once  sync.Once

	mu      sync.Mutex
	kept    []Datagram
	dropped int
	last    time.Time     // when the last datagram arrived, or the start
	arrived chan struct{} // closed and replaced on every arrival
	err     error
}

// NewReceiver starts reading c with buffers of bufSize bytes, keeping at most
// limit datagrams (the rest are counted, not kept). A datagram longer than
// bufSize is kept cut short, with Truncated set.
func NewReceiver(c *UDPConn, bufSize, limit int) *Receiver {
	r := &Receiver{
		c:       c,
		limit:   limit,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		last:    time.Now(),
		arrived: make(chan struct{}),
	}
	go r.run(max(bufSize, 0))
	return r
}

func (r *Receiver) run(bufSize int) {
	defer close(r.done)
	buf := make([]byte, bufSize+1)
	for {
		r.c.Conn.SetReadDeadline(time.Now().Add(receiverPoll))
		// Looked at after the deadline is set, so that Stop's past deadline
		// either wakes the read below or is overwritten before this check.
		select {
		case <-r.stop:
			return
		default:
		}
		d, err := readDatagram(r.c.Conn, buf)
		if err != nil {
			if IsTimeout(err) {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				return
			}
			// An ICMP error or the like, one per event: go on reading, with
			// a pause so that nothing can spin.
			select {
			case <-r.stop:
				return
			case <-time.After(time.Millisecond):
			}
			continue
		}
		r.add(d)
	}
}

func (r *Receiver) add(d Datagram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.kept) < r.limit {
		r.kept = append(r.kept, d)
	} else {
		r.dropped++
	}
	r.last = time.Now()
	close(r.arrived)
	r.arrived = make(chan struct{})
}

// snapshot returns the datagrams kept so far, as a slice that later arrivals
// never write into, and a channel closed at the next arrival.
func (r *Receiver) snapshot() ([]Datagram, chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.kept)
	return r.kept[:n:n], r.arrived
}

// WaitUntil blocks until done(received so far) is true or ctx ends; it returns
// whether done became true. A positive signal, not a sleep: done is called
// again after each arrival. Without a deadline in ctx it waits at most
// DefaultTimeout. It returns at once if the Receiver has stopped.
func (r *Receiver) WaitUntil(ctx context.Context, done func([]Datagram) bool) bool {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	for {
		kept, arrived := r.snapshot()
		if done(kept) {
			return true
		}
		select {
		case <-arrived:
		case <-r.done:
			kept, _ := r.snapshot()
			return done(kept)
		case <-ctx.Done():
			return false
		}
	}
}

// Quiet waits until no datagram has arrived for d, counted from the later of
// the call and the last arrival, so that it always waits at least d (bounded
// by ctx, and by DefaultTimeout if ctx has no deadline). It is the way to let
// stray datagrams (duplicates, say) arrive before Stop.
func (r *Receiver) Quiet(ctx context.Context, d time.Duration) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	since := time.Now()
	for {
		r.mu.Lock()
		last, arrived := r.last, r.arrived
		r.mu.Unlock()
		if last.After(since) {
			since = last
		}
		wait := time.Until(since.Add(d))
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-arrived:
		case <-r.done:
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// Stop ends reading (without closing c) and returns all datagrams kept and
// the number dropped over limit. It returns promptly, and may be called more
// than once.
func (r *Receiver) Stop() ([]Datagram, int) {
	r.once.Do(func() {
		close(r.stop)
		r.c.Conn.SetReadDeadline(aLongTimeAgo)
	})
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kept, r.dropped
}

// Err returns the error that ended reading before Stop (the socket was
// closed), or nil.
func (r *Receiver) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
