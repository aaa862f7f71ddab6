package load

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked
// operation at once.
var aLongTimeAgo = time.Unix(1, 0)

// Run loads cfg.Addr as cfg says and returns what it measured. It returns
// an error only for a Config that Validate rejects; failures of the server
// are counted in the Result. When ctx ends, every operation in flight is
// cut short (and not counted as failed) and Run returns the figures so far
// with Interrupted set. Run never outlives ctx by more than Timeout, nor
// Duration by more than the operations then in flight need (each bounded by
// Timeout).
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	e := &engine{cfg: cfg, ctx: ctx, pat: newPattern(cfg.Size, cfg.Echo), started: make(chan struct{})}
	if cfg.Rate > 0 {
		e.every = time.Duration(float64(time.Second) / cfg.Rate)
	}
	shards := cfg.Conns
	if cfg.Mode == IdleHold {
		shards = cfg.Dialers
	}
	e.stats = make([]stats, shards)

	stopProgress := e.progress()
	defer stopProgress()
	switch cfg.Mode {
	case Bulk:
		e.perConn(e.bulk)
	case ReqResp:
		e.perConn(e.reqresp)
	case Churn:
		e.churn()
	case IdleHold:
		e.idleHold()
	case UDP:
		e.udp()
	}
	return e.result(), nil
}

// stats are one worker's counters, padded so that workers on different
// cores do not share a cache line.
type stats struct {
	sent, recv, msgs atomic.Int64
	_                [40]byte
}

// engine is one run.
type engine struct {
	cfg Config
	ctx context.Context // the caller's: its end cuts operations short
	// soft ends at Duration (and with ctx): no new message starts after.
	soft    context.Context
	pat     *pattern
	started chan struct{} // closed when the measured run begins
	start   time.Time     // set before started is closed
	hist    Histogram
	stats   []stats

	open                    atomic.Int64
	errs                    [numKinds]atomic.Int64
	lost, late, died, held  atomic.Int64
	issued                  atomic.Int64
	mismatchOnce            sync.Once
	firstMismatch           string
	elapsed                 time.Duration
	rateMu                  sync.Mutex
	next                    time.Time // the rate limiter's next free slot
	every                   time.Duration
	softCancel              context.CancelFunc
	progressMu              sync.Mutex
	lastBytes, lastMessages int64
	lastTick                time.Time
}

// begin starts the measured part of the run: the clock, and the Duration.
func (e *engine) begin() {
	e.start = time.Now()
	e.lastTick = e.start
	if e.cfg.Duration > 0 {
		e.soft, e.softCancel = context.WithDeadline(e.ctx, e.start.Add(e.cfg.Duration))
	} else {
		e.soft, e.softCancel = context.WithCancel(e.ctx)
	}
	close(e.started)
}

// finish stops the clock.
func (e *engine) finish() {
	e.elapsed = time.Since(e.start)
	e.softCancel()
}

// claim reserves the next message: it returns false once the run is over
// (Duration, Count, ctx), and otherwise returns when the rate allows the
// message to start.
func (e *engine) claim() bool {
	if e.soft.Err() != nil {
		return false
	}
	if e.cfg.Count > 0 && e.issued.Add(1) > e.cfg.Count {
		return false
	}
	if e.every == 0 {
		return true
	}
	e.rateMu.Lock()
	now := time.Now()
	slot := e.next
	if slot.Before(now) {
		// An idle limiter does not save up a burst.
		slot = now
	}
	e.next = slot.Add(e.every)
	e.rateMu.Unlock()
	return clients.Sleep(e.soft, slot.Sub(now)) == nil
}

// fail counts a failed operation, unless ctx has ended: an interrupt cuts
// operations short, which is not the server's failure. It returns whether
// the failure was counted.
func (e *engine) fail(err error) bool {
	if e.ctx.Err() != nil {
		return false
	}
	e.errs[KindOf(err)].Add(1)
	return true
}

// failKind counts a failure of kind k, unless ctx has ended.
func (e *engine) failKind(k Kind) {
	if e.ctx.Err() == nil {
		e.errs[k].Add(1)
	}
}

// mismatch counts a mismatch and keeps the first one's description.
func (e *engine) mismatch(format string, args ...any) {
	e.errs[Mismatch].Add(1)
	e.mismatchOnce.Do(func() { e.firstMismatch = fmt.Sprintf(format, args...) })
}

// diff describes where got first differs from want.
func diff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("reply byte %d is 0x%02x, want 0x%02x", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("reply is %d bytes, want %d", len(got), len(want))
}

// dial connects to the server with keep-alive off, within Timeout, and
// counts the connection as open. The returned function closes it (with a
// reset when abort is true) and counts it closed; it also stops ctx's end
// from touching the socket. Until then, ctx's end sets the socket's
// deadlines in the past, so that whatever blocks on it returns at once.
func (e *engine) dial() (*net.TCPConn, func(abort bool), error) {
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.Timeout)
	defer cancel()
	tc, err := clients.DialTCP(ctx, e.cfg.Addr)
	if err != nil {
		return nil, nil, err
	}
	c := tc.Conn
	e.open.Add(1)
	stop := context.AfterFunc(e.ctx, func() { c.SetDeadline(aLongTimeAgo) })
	return c, func(abort bool) {
		stop()
		if abort {
			c.SetLinger(0)
		}
		c.Close()
		e.open.Add(-1)
	}, nil
}

// deadline sets a socket deadline Timeout ahead, lazily: only when less
// than three quarters of Timeout is left, so that a busy loop does not
// reset a timer on every operation. Every operation so has at least
// 3/4 Timeout and at most Timeout.
type deadline struct {
	set     func(time.Time) error
	timeout time.Duration
	until   time.Time
}

func (d *deadline) refresh(now time.Time) {
	if d.until.Sub(now) < d.timeout-d.timeout/minTimeoutFraction {
		d.until = now.Add(d.timeout)
		d.set(d.until)
	}
}

// backoff is the pause after a failure before a worker tries again, so that
// a server that is down cannot make a worker spin: 10 ms, doubling to 1 s.
type backoff time.Duration

func (b *backoff) wait(ctx context.Context) bool {
	*b = backoff(min(max(2*time.Duration(*b), 10*time.Millisecond), time.Second))
	return clients.Sleep(ctx, time.Duration(*b)) == nil
}

// perConn runs work on Conns connections, each in its own goroutine, each
// dialled before the measured run begins. work returns when the connection
// is done with (the run is over, or the connection failed); perConn dials
// a new one after a failure until the run is over.
func (e *engine) perConn(work func(i int, c *net.TCPConn, st *stats) error) {
	var ready, done sync.WaitGroup
	ready.Add(e.cfg.Conns)
	sem := make(chan struct{}, e.cfg.Dialers)
	for i := range e.cfg.Conns {
		done.Go(func() {
			st := &e.stats[i]
			sem <- struct{}{}
			c, closeConn, err := e.dial()
			<-sem
			ready.Done()
			<-e.started
			var b backoff
			for {
				if err != nil {
					e.fail(err)
					if !b.wait(e.soft) {
						return
					}
				} else {
					err = work(i, c, st)
					closeConn(err != nil)
					if err == nil {
						return
					}
					if !b.wait(e.soft) {
						return
					}
				}
				if e.soft.Err() != nil {
					return
				}
				c, closeConn, err = e.dial()
				if err == nil {
					b = 0
				}
			}
		})
	}
	ready.Wait()
	e.begin()
	done.Wait()
	e.finish()
}

// progress calls Progress every ProgressEvery until the returned function is
// called, which waits for the last call to end.
func (e *engine) progress() (stop func()) {
	if e.cfg.Progress == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-e.started:
		case <-quit:
			return
		}
		t := time.NewTicker(e.cfg.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				e.cfg.Progress(e.snapshot())
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// totals sums the workers' counters.
func (e *engine) totals() (sent, recv, msgs int64) {
	for i := range e.stats {
		sent += e.stats[i].sent.Load()
		recv += e.stats[i].recv.Load()
		msgs += e.stats[i].msgs.Load()
	}
	return sent, recv, msgs
}

func (e *engine) errors() Errors {
	var out Errors
	for k := range e.errs {
		out[k] = e.errs[k].Load()
	}
	return out
}

// snapshot is the progress since the last snapshot.
func (e *engine) snapshot() Snapshot {
	e.progressMu.Lock()
	defer e.progressMu.Unlock()
	now := time.Now()
	_, recv, msgs := e.totals()
	dt := now.Sub(e.lastTick).Seconds()
	s := Snapshot{
		Elapsed:  now.Sub(e.start),
		Messages: msgs,
		Open:     e.open.Load(),
		Errors:   e.errors(),
		Lost:     e.lost.Load(),
		Died:     e.died.Load(),
	}
	if dt > 0 {
		s.MBps = float64(recv-e.lastBytes) / dt / 1e6
		s.MsgPerSec = float64(msgs-e.lastMessages) / dt
	}
	e.lastBytes, e.lastMessages, e.lastTick = recv, msgs, now
	return s
}

// result is the run's Result, once every worker has ended.
func (e *engine) result() Result {
	sent, recv, msgs := e.totals()
	r := Result{
		Mode:          e.cfg.Mode,
		Conns:         e.cfg.Conns,
		Size:          e.cfg.Size,
		Elapsed:       e.elapsed,
		Seconds:       e.elapsed.Seconds(),
		BytesSent:     sent,
		BytesReceived: recv,
		Messages:      msgs,
		Latency:       e.hist.Summary(),
		Errors:        e.errors(),
		Lost:          e.lost.Load(),
		Late:          e.late.Load(),
		Held:          e.held.Load(),
		Died:          e.died.Load(),
		FirstMismatch: e.firstMismatch,
		Interrupted:   e.ctx.Err() != nil,
	}
	if s := e.elapsed.Seconds(); s > 0 {
		r.MBps = float64(recv) / s / 1e6
		r.MsgPerSec = float64(msgs) / s
	}
	return r
}
