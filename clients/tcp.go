package clients

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// readBufSize is how much ReadToEnd and Exchange ask the socket for at once.
const readBufSize = 32 << 10

// DialTCP connects to addr with keep-alive off, bounded by ctx (and
// DefaultTimeout if ctx has no deadline).
//
// A listener whose accept queue is full drops the SYN, and the kernel
// sends it again only after a second (then 3 s, 7 s): against a server
// with a small listen backlog, such as Python's socketserver (5), a run of
// connects would spend most of its time waiting for those retransmits.
// DialTCP gives each connect attempt synRetry (100 ms), then starts a new
// one, which finds room as soon as the server has accepted a connection;
// after synRetries (8) such attempts the last waits for as long as ctx
// allows. A refused connect is not tried again.
func DialTCP(ctx context.Context, addr string) (*TCPConn, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	d := net.Dialer{KeepAlive: -1}
	c, err := dialAttempts(ctx, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })
	if err != nil {
		return nil, err
	}
	return &TCPConn{Conn: c.(*net.TCPConn)}, nil
}

const (
	// synRetry is how long DialTCP's connect attempts wait before the next
	// starts: far longer than a loopback handshake takes, far shorter than
	// the kernel's first SYN retransmit.
	synRetry = 100 * time.Millisecond
	// synRetries is how many short attempts DialTCP makes before one that
	// waits for the rest of its deadline.
	synRetries = 8
)

// dialAttempts calls dial with a deadline of synRetry until it connects,
// fails otherwise than by its own deadline, or synRetries attempts have
// timed out; then once more with ctx's own deadline.
func dialAttempts(ctx context.Context, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
	for range synRetries {
		actx, cancel := context.WithTimeout(ctx, synRetry)
		c, err := dial(actx)
		cancel()
		var ne net.Error
		if err == nil || ctx.Err() != nil || !errors.As(err, &ne) || !ne.Timeout() {
			return c, err
		}
	}
	return dial(ctx)
}

// TCPConn is a client connection. Every method that touches the network is
// bounded by its ctx's deadline (or DefaultTimeout when ctx has none) and
// returns promptly when ctx is cancelled; the error then wraps both the
// socket's timeout and context.Canceled.
//
// One goroutine may write while another reads, as with net.Conn; two
// concurrent writers (or readers) interleave unpredictably.
type TCPConn struct {
	Conn *net.TCPConn
}

// SetNoDelay turns Nagle's algorithm off (true, Go's default) or on (false),
// so that small chunks go out as separate segments or are coalesced.
func (c *TCPConn) SetNoDelay(on bool) error {
	return c.Conn.SetNoDelay(on)
}

// Write writes all of p.
func (c *TCPConn) Write(ctx context.Context, p []byte) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	stop := watch(ctx, c.Conn.SetWriteDeadline)
	defer stop()
	_, err := c.Conn.Write(p)
	return withCancel(ctx, err)
}

// WriteChunks writes p as consecutive chunks whose sizes cycle through sizes
// (a size <1 counts as 1), sleeping pause between chunks (0 = none). Nil or
// empty sizes write p at once. The pauses count against ctx's deadline.
func (c *TCPConn) WriteChunks(ctx context.Context, p []byte, sizes []int, pause time.Duration) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	stop := watch(ctx, c.Conn.SetWriteDeadline)
	defer stop()
	_, err := c.writeChunks(ctx, p, sizes, pause)
	return withCancel(ctx, err)
}

// writeChunks does WriteChunks under a deadline the caller has set, and
// reports how many bytes were written.
func (c *TCPConn) writeChunks(ctx context.Context, p []byte, sizes []int, pause time.Duration) (int, error) {
	if len(sizes) == 0 {
		return c.Conn.Write(p)
	}
	n := 0
	for k := 0; n < len(p); k++ {
		if k > 0 && pause > 0 {
			if err := Sleep(ctx, pause); err != nil {
				return n, err
			}
		}
		end := min(n+max(sizes[k%len(sizes)], 1), len(p))
		m, err := c.Conn.Write(p[n:end])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadFull reads exactly n bytes; on error it returns what it read so far.
// The error is io.EOF if the stream ended before any byte and
// io.ErrUnexpectedEOF if it ended part way, as io.ReadFull has it. n is also
// the most memory it uses.
func (c *TCPConn) ReadFull(ctx context.Context, n int) ([]byte, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	stop := watch(ctx, c.Conn.SetReadDeadline)
	defer stop()
	buf := make([]byte, max(n, 0))
	m, err := io.ReadFull(c.Conn, buf)
	return buf[:m], withCancel(ctx, err)
}

// RoundTrip writes p then reads exactly len(p) bytes back: the reply an
// uppercase server owes for p. Both steps share ctx's deadline (or one
// DefaultTimeout). On a read error it returns the bytes read so far.
func (c *TCPConn) RoundTrip(ctx context.Context, p []byte) ([]byte, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	if err := c.Write(ctx, p); err != nil {
		return nil, err
	}
	return c.ReadFull(ctx, len(p))
}

// CloseWrite half-closes the connection: the peer reads EOF (the seed
// server's empty recv) while replies can still arrive.
func (c *TCPConn) CloseWrite() error {
	return c.Conn.CloseWrite()
}

// Reset sets SO_LINGER 0 and closes: the peer sees a RST.
func (c *TCPConn) Reset() error {
	if err := c.Conn.SetLinger(0); err != nil {
		c.Conn.Close()
		return err
	}
	return c.Conn.Close()
}

// Close closes the connection abruptly without reading what is pending. If
// reply bytes are waiting unread, the kernel answers the peer with a RST
// rather than a FIN.
func (c *TCPConn) Close() error {
	return c.Conn.Close()
}

// ReadToEnd reads until the stream ends, keeping at most limit bytes (limit
// < 0 counts as 0). If more than limit bytes arrive it stops reading at once
// and reports EndLimit, with the first limit bytes in Data and every byte
// read so far in Total. On Linux a RST from the peer is EndReset.
func (c *TCPConn) ReadToEnd(ctx context.Context, limit int) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	stop := watch(ctx, c.Conn.SetReadDeadline)
	r := c.readToEnd(limit)
	stop()
	r.Err = withCancel(ctx, r.Err)
	return r
}

// readToEnd does ReadToEnd under a deadline the caller has set: it is
// readToEndFunc keeping what it is handed.
func (c *TCPConn) readToEnd(limit int) Result {
	data := make([]byte, 0, min(max(limit, 0), 64<<10))
	r := c.readToEndFunc(limit, func(p []byte) { data = append(data, p...) })
	r.Data = data
	return r
}

// Exchange writes p in chunks (sizes as WriteChunks, nil = one write) while
// reading concurrently, half-closes after the last byte, then reads to the
// end: the way to send MiBs without deadlocking on full buffers.
//
// Writing happens in a goroutine of its own, which has always ended when
// Exchange returns. If reading ends first (a limit, a timeout, a reset, an
// early EOF), writing is stopped at once and WriteErr says after how many
// bytes; a write or half-close that fails on its own is reported as it is.
//
// Linux reports a RST from the peer to only one of the two directions: the
// other sees the stream end as if closed in order. So when reading ends with
// EOF but writing failed with ECONNRESET, End is EndReset and Err is that
// error. (A peer that closes in order before it has read everything, and so
// answers the writes that follow with a RST, is reported the same way.)
func (c *TCPConn) Exchange(ctx context.Context, p []byte, sizes []int, limit int) Result {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	wctx, stopWriting := context.WithCancel(ctx)
	defer stopWriting()
	written := make(chan error, 1)
	go func() {
		stop := watch(wctx, c.Conn.SetWriteDeadline)
		n, err := c.writeChunks(wctx, p, sizes, 0)
		if err == nil {
			err = c.Conn.CloseWrite()
		}
		stop()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			err = withCancel(ctx, err)
		case wctx.Err() != nil && IsTimeout(err):
			err = fmt.Errorf("clients: writing stopped after %d of %d bytes because reading ended: %w", n, len(p), err)
		}
		written <- err
	}()
	stop := watch(ctx, c.Conn.SetReadDeadline)
	r := c.readToEnd(limit)
	stop()
	stopWriting()
	r.WriteErr = <-written
	if r.End == EndEOF && errors.Is(r.WriteErr, syscall.ECONNRESET) {
		// Linux reports a RST to one pending call only: when the writer
		// took it, the reader sees the stream end as if by a FIN.
		r.End, r.Err = EndReset, r.WriteErr
	}
	r.Err = withCancel(ctx, r.Err)
	return r
}
