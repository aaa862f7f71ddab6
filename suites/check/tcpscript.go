package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// TCPOp is one kind of action in a scripted TCP connection.
type TCPOp int

// The actions a scripted connection can take. HalfClose, Reset and Close end
// the connection's script; a script without one ends by waiting for every
// reply and closing.
const (
	// Write sends Data, in chunks whose sizes cycle through Chunks (nil:
	// one write), sleeping Pause between chunks.
	Write TCPOp = iota
	// Pause sleeps for Pause.
	Pause
	// Read waits until every byte written so far has come back.
	Read
	// HalfClose shuts down the write side (FIN), then reads to the end:
	// the reply must be complete and end in an orderly EOF.
	HalfClose
	// Reset closes with SO_LINGER 0, sending a RST.
	Reset
	// Close closes abruptly, without reading what is pending.
	Close
)

var opNames = [...]string{"write", "pause", "read", "half-close", "reset", "close"}

func (op TCPOp) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return fmt.Sprintf("op%d", int(op))
}

// TCPStep is one action of a scripted connection.
type TCPStep struct {
	Op     TCPOp         `json:"op"`
	Data   []byte        `json:"data,omitempty"`
	Chunks []int         `json:"chunks,omitempty"`
	Pause  time.Duration `json:"pause,omitempty"`
}

// TCPConnScript is what one client connection does, in order.
type TCPConnScript struct {
	Steps   []TCPStep `json:"steps"`
	NoDelay bool      `json:"nodelay,omitempty"` // TCP_NODELAY on the client (default: Nagle on)
}

// TCPScript is a set of client connections run concurrently against a TCP
// server, then judged: after an orderly end each reply is exactly upper(sent)
// followed by EOF; after a reset or abrupt close it is a prefix of
// upper(sent); a Read gets every byte written so far back; no connection
// receives another's bytes; and afterwards the server still answers a new
// connection.
type TCPScript struct {
	// ID, when set, is the requirement every violation is reported under
	// (a spec checking one requirement). When empty, each violation is
	// attributed to the requirement its symptom breaks (the fuzzers).
	ID string `json:"id,omitempty"`
	// Case names the case in failure text.
	Case  string          `json:"case,omitempty"`
	Conns []TCPConnScript `json:"conns"`
	// SkipFinalProbe leaves out the closing check that a new connection
	// is still served.
	SkipFinalProbe bool `json:"skip_final_probe,omitempty"`
}

// sentBytes returns every byte the connection's script writes.
func (cs TCPConnScript) sentBytes() []byte {
	var b []byte
	for _, s := range cs.Steps {
		if s.Op == Write {
			b = append(b, s.Data...)
		}
	}
	return b
}

// terminal returns the step that ends the script, or Read for none.
func (cs TCPConnScript) terminal() TCPOp {
	for _, s := range cs.Steps {
		if s.Op >= HalfClose {
			return s.Op
		}
	}
	return Read
}

// readerLife bounds a scripted connection's reader, before Env.Scale.
const readerLife = 10 * time.Minute

// extraCap is how many bytes beyond the expected reply a connection keeps
// reading, to see a server that sends too much without letting one that
// sends forever exhaust memory.
const extraCap = 64 << 10

// RunTCP runs s against e.TCP and returns every violation it observed, or nil.
func RunTCP(ctx context.Context, e Env, s TCPScript) error {
	if e.TCP == "" {
		return errors.New("check: no TCP address to check")
	}
	// Dial one at a time: a burst of connects against a small listen
	// backlog stalls on SYN retransmits, which is not what is checked.
	runs := make([]*tcpRun, len(s.Conns))
	var vs Violations
	defer func() {
		for _, r := range runs {
			if r != nil {
				r.abort()
			}
		}
	}()
	for i, cs := range s.Conns {
		r, err := dialRun(ctx, e, i, cs)
		if err != nil {
			vs.add(s.idOr("TCP-CHURN"), s.Case, fmt.Sprintf("connection %d to be accepted", i), "connect failed: "+DescribeErr(err), "")
			return vs.Err()
		}
		runs[i] = r
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() { r.run(ctx) })
	}
	wg.Wait()

	wants := make([][]byte, len(runs))
	for i, r := range runs {
		wants[i] = Upper(r.sent)
	}
	for i, r := range runs {
		vs = append(vs, r.judge(s, wants, i)...)
	}
	if !s.SkipFinalProbe && len(vs) == 0 {
		if err := probeTCP(ctx, e); err != nil {
			id := "TCP-CHURN"
			for _, cs := range s.Conns {
				switch cs.terminal() {
				case Reset:
					id = "TCP-RESET"
				case Close:
					if id != "TCP-RESET" {
						id = "TCP-DISCONNECT"
					}
				}
			}
			vs.add(s.idOr(id), s.Case, "a new connection served after the script's connections ended", err.Error(), "")
		}
	}
	return vs.Err()
}

func (s TCPScript) idOr(id string) string {
	if s.ID != "" {
		return s.ID
	}
	return id
}

// probeTCP checks that a new connection is accepted and gets "a" answered
// with "A".
func probeTCP(ctx context.Context, e Env) error {
	ctx, cancel := e.within(ctx, DialTimeout+ReplyTimeout)
	defer cancel()
	c, err := clients.DialTCP(ctx, e.TCP)
	if err != nil {
		return fmt.Errorf("connect failed: %s", DescribeErr(err))
	}
	defer c.Close()
	if err := c.Write(ctx, []byte("a")); err != nil {
		return fmt.Errorf("write failed: %s", DescribeErr(err))
	}
	got, err := c.ReadFull(ctx, 1)
	if err != nil {
		return fmt.Errorf("no reply to \"a\": %s after %d bytes", DescribeErr(err), len(got))
	}
	if string(got) != "A" {
		return fmt.Errorf("reply to \"a\" was %q", got)
	}
	return nil
}

// tcpRun is one scripted connection in progress: the script, what it has
// sent, and a reader that keeps everything the server sends (up to a cap).
type tcpRun struct {
	e      Env
	idx    int
	script TCPConnScript
	conn   *clients.TCPConn
	sent   []byte

	mu       sync.Mutex
	got      []byte
	total    int64
	end      clients.End
	endErr   error
	progress chan struct{} // a value after each read that got data
	done     chan struct{} // closed when the reader stops

	// planned is the reply the whole script is owed, upper(every byte it
	// writes); useful is how much of it has arrived, in order, before any
	// wrong or extra byte. Only useful bytes count as progress: a server
	// that trickles wrong bytes forever must not keep the script waiting.
	planned []byte
	useful  int

	stalled   string // why a Read step did not get its bytes, if it did not
	stallStep int
	writeErr  error
	writeStep int
	finalWait string // what the end of the script waited for and did not get
}

func dialRun(ctx context.Context, e Env, idx int, cs TCPConnScript) (*tcpRun, error) {
	dctx, cancel := e.within(ctx, DialTimeout)
	defer cancel()
	c, err := clients.DialTCP(dctx, e.TCP)
	if err != nil {
		return nil, err
	}
	if cs.NoDelay {
		c.SetNoDelay(true)
	} else {
		c.SetNoDelay(false)
	}
	e.logf("tcp conn %d: %s -> %s", idx, c.Conn.LocalAddr(), c.Conn.RemoteAddr())
	return &tcpRun{e: e, idx: idx, script: cs, conn: c, progress: make(chan struct{}, 1), done: make(chan struct{}), stallStep: -1, writeStep: -1}, nil
}

// read keeps everything the server sends until the stream ends or the cap
// is passed.
func (r *tcpRun) read(ctx context.Context, limit int) {
	defer close(r.done)
	res := r.conn.ReadToEndFunc(ctx, limit, func(p []byte) {
		r.mu.Lock()
		if r.useful == len(r.got) {
			r.useful += commonPrefix(p, r.planned[r.useful:])
		}
		r.got = append(r.got, p...)
		r.total += int64(len(p))
		r.mu.Unlock()
		select {
		case r.progress <- struct{}{}:
		default:
		}
	})
	r.mu.Lock()
	r.end, r.endErr = res.End, res.Err
	r.total = res.Total
	r.mu.Unlock()
}

// waitFor waits until cond holds, as long as the reply keeps coming: it
// gives up after ReplyTimeout without a further byte of the reply owed (see
// tcpRun.useful). It reports whether cond held.
func (r *tcpRun) waitFor(ctx context.Context, cond func(total int64, ended bool) bool) bool {
	idle := r.e.T(ReplyTimeout)
	timer := time.NewTimer(idle)
	defer timer.Stop()
	useful := -1
	for {
		r.mu.Lock()
		total := r.total
		if r.useful > useful {
			// Another byte of the reply: the wait starts afresh.
			timer.Reset(idle)
			useful = r.useful
		}
		r.mu.Unlock()
		ended := false
		select {
		case <-r.done:
			ended = true
		default:
		}
		if cond(total, ended) {
			return true
		}
		if ended {
			return false
		}
		select {
		case <-r.progress:
		case <-r.done:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// run executes the script, then ends the connection.
func (r *tcpRun) run(ctx context.Context) {
	r.planned = Upper(r.script.sentBytes())
	limit := len(r.planned) + extraCap
	// The reader lives as long as the script: run cancels it when the
	// script ends, and every wait of the script is bounded by progress.
	// readerLife only backs that up, and keeps the clients' unscaled
	// default from ending a long script's reads when ctx has no deadline.
	rctx, cancelRead := context.WithTimeout(ctx, r.e.T(readerLife))
	defer cancelRead()
	go r.read(rctx, limit)
	defer func() {
		r.conn.Close()
		cancelRead()
		<-r.done
	}()
	for i, st := range r.script.Steps {
		switch st.Op {
		case Write:
			n, err := r.write(ctx, st)
			// Count what reached the socket even when the write failed
			// part-way: the server may well have answered it.
			r.sent = append(r.sent, st.Data[:n]...)
			if err != nil {
				r.writeErr, r.writeStep = err, i
				r.settle(ctx, err)
				return
			}
		case Pause:
			select {
			case <-time.After(st.Pause):
			case <-ctx.Done():
				return
			}
		case Read:
			want := int64(len(r.sent))
			if !r.waitFor(ctx, func(total int64, _ bool) bool { return total >= want }) {
				r.stalled, r.stallStep = r.describeShort(want), i
				return
			}
		case HalfClose:
			if err := r.conn.CloseWrite(); err != nil {
				r.writeErr, r.writeStep = err, i
				r.settle(ctx, err)
				return
			}
			if !r.waitFor(ctx, func(_ int64, ended bool) bool { return ended }) {
				r.finalWait = "the stream to end after the half-close"
			}
			return
		case Reset:
			r.conn.Reset()
			return
		case Close:
			r.conn.Close()
			return
		}
	}
	// No ending step: wait for every reply, then close.
	want := int64(len(r.sent))
	if !r.waitFor(ctx, func(total int64, _ bool) bool { return total >= want }) {
		r.stalled, r.stallStep = r.describeShort(want), len(r.script.Steps)
	}
}

// settle lets the reader take the bytes that arrived before a reset, when
// err says a write or the half-close found the connection reset: closing
// it at once could throw them away before the reader got to them. The
// connection is gone, so the reader ends as soon as it has them.
func (r *tcpRun) settle(ctx context.Context, err error) {
	if clients.EndOf(err) == clients.EndReset || errors.Is(err, syscall.ENOTCONN) {
		r.waitFor(ctx, func(_ int64, ended bool) bool { return ended })
	}
}

// write sends st.Data in chunks whose sizes cycle through st.Chunks, with
// st.Pause between them. Each chunk has ReplyTimeout to go out, so a long
// slow write is bounded by its progress and by ctx, not by a guess of its
// total time. It returns how many bytes were written.
func (r *tcpRun) write(ctx context.Context, st TCPStep) (int, error) {
	stop := context.AfterFunc(ctx, func() { r.conn.Conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	sizes := st.Chunks
	if len(sizes) == 0 {
		sizes = []int{max(len(st.Data), 1)}
	}
	if len(st.Data) == 0 {
		// A zero-length write is a real write(2) of nothing, as the
		// seed's client would make with msg = '': TCP sends no segment.
		r.conn.Conn.SetWriteDeadline(time.Now().Add(r.e.T(ReplyTimeout)))
		_, err := r.conn.Conn.Write(st.Data)
		return 0, err
	}
	written := 0
	for k := 0; written < len(st.Data); k++ {
		if k > 0 && st.Pause > 0 {
			select {
			case <-time.After(st.Pause):
			case <-ctx.Done():
				return written, ctx.Err()
			}
		}
		end := min(len(st.Data), written+max(1, sizes[k%len(sizes)]))
		if ctx.Err() != nil {
			return written, ctx.Err()
		}
		// ReplyTimeout, plus a second per MiB: one large write goes out
		// only as fast as the server reads it.
		r.conn.Conn.SetWriteDeadline(time.Now().Add(r.e.T(ReplyTimeout + time.Duration(end-written)*time.Second/(1<<20))))
		n, err := r.conn.Conn.Write(st.Data[written:end])
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func (r *tcpRun) describeShort(want int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	how := "no further byte within the timeout"
	select {
	case <-r.done:
		how = "the stream ended (" + r.end.String() + ")"
	default:
	}
	return fmt.Sprintf("%d of %d reply bytes, then %s", r.total, want, how)
}

// abort closes the connection if it is still open.
func (r *tcpRun) abort() { r.conn.Close() }

// judge compares what the connection got with what it should have.
func (r *tcpRun) judge(s TCPScript, wants [][]byte, idx int) Violations {
	var vs Violations
	want := wants[idx]
	r.mu.Lock()
	got, end, endErr := r.got, r.end, r.endErr
	r.mu.Unlock()
	where := func(step int, extra string) string {
		w := fmt.Sprintf("connection %d", idx)
		if step >= 0 {
			w += fmt.Sprintf(" step %d", step)
		}
		if extra != "" {
			w += ", " + extra
		}
		return w
	}
	// A byte that is wrong, or a reply longer than the request, is a
	// violation whatever the ending.
	if d := firstDiff(want, got); d >= 0 && d < len(got) {
		id, observed := classifyWrong(r.sent, want, got, d, wants, idx)
		vs.add(s.idOr(id), s.Case, "upper(request), "+nBytes(len(want)), observed, where(-1, DiffBytes(want, got)))
		return vs
	}
	if r.writeErr != nil && r.writeStep >= 0 && r.script.Steps[r.writeStep].Op == Write {
		vs.add(s.idOr("TCP-STREAM"), s.Case, "every write accepted", "write failed: "+DescribeErr(r.writeErr), where(r.writeStep, fmt.Sprintf("after %d reply bytes", len(got))))
		return vs
	}
	if r.stalled != "" {
		vs.add(s.idOr("TCP-ROUNDTRIP"), s.Case, "every byte written so far to come back without closing", r.stalled, where(r.stallStep, ""))
		return vs
	}
	if r.script.terminal() != HalfClose {
		return vs
	}
	switch {
	case r.writeErr != nil:
		vs.add(s.idOr("TCP-EOF"), s.Case, "half-close accepted", "half-close failed: "+DescribeErr(r.writeErr), where(r.writeStep, ""))
	case len(got) < len(want):
		how := end.String()
		if r.finalWait != "" {
			how = "no further byte within the timeout"
		}
		vs.add(s.idOr("TCP-EOF"), s.Case, fmt.Sprintf("all %d reply bytes, then EOF", len(want)),
			fmt.Sprintf("%d reply bytes, then %s", len(got), how), where(-1, DiffBytes(want, got)))
	case r.finalWait != "":
		vs.add(s.idOr("TCP-EOF"), s.Case, "EOF after the reply", "no EOF within the timeout", where(-1, fmt.Sprintf("after %d reply bytes", len(got))))
	case end != clients.EndEOF:
		vs.add(s.idOr("TCP-EOF"), s.Case, "EOF after the reply", endDescription(end, endErr), where(-1, fmt.Sprintf("after %d reply bytes", len(got))))
	}
	return vs
}

func endDescription(end clients.End, err error) string {
	switch end {
	case clients.EndReset:
		return "a reset instead of an orderly close"
	case clients.EndLimit:
		return "bytes kept coming past the reply (reading stopped at the cap)"
	case clients.EndTimeout:
		return "no EOF within the timeout"
	}
	return "the stream ended with an error: " + DescribeErr(err)
}

// classifyWrong attributes a reply byte that differs from upper(request) at
// offset d to the requirement its symptom breaks.
func classifyWrong(sent, want, got []byte, d int, wants [][]byte, idx int) (id, observed string) {
	if len(got) > len(want) && d == len(want) {
		if foreign(got[d:], wants, idx) {
			return "TCP-ISOLATION", fmt.Sprintf("%d extra bytes after the reply, from another connection's reply", len(got)-len(want))
		}
		return "TCP-STREAM", fmt.Sprintf("%d extra bytes after the %d-byte reply", len(got)-len(want), len(want))
	}
	if foreign(got[d:], wants, idx) {
		return "TCP-ISOLATION", fmt.Sprintf("another connection's bytes at offset %d", d)
	}
	in, out := sent[d], got[d]
	switch {
	case isLower(in) && out == in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x (%q) not uppercased", in, in)
	case !isLower(in) && out != in:
		return "TCP-BYTES", fmt.Sprintf("byte 0x%02x changed to 0x%02x", in, out)
	}
	return "TCP-STREAM", fmt.Sprintf("reply differs from upper(request) from offset %d", d)
}

// foreign reports whether the bytes at the start of b (at least 8 of them)
// occur in another connection's expected reply: a sign of cross-talk.
func foreign(b []byte, wants [][]byte, idx int) bool {
	n := min(len(b), 16)
	if n < 8 {
		return false
	}
	for j, w := range wants {
		if j != idx && bytes.Contains(w, b[:n]) && !bytes.Contains(wants[idx], b[:n]) {
			return true
		}
	}
	return false
}

// isClosed reports whether err is the error of a connection closed locally.
func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
