package servers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/slow"
)

// testTimeout bounds every network operation in these tests, so a broken
// server fails a test instead of hanging it.
var testTimeout = slow.Bound(10 * time.Second)

// serveResult is what a Serve call returned, once it has returned.
type serveResult struct {
	done chan struct{}
	err  error
}

// wait returns Serve's error, failing the test if Serve does not return
// within testTimeout.
func (r *serveResult) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(testTimeout):
		t.Fatal("Serve did not return")
		return nil
	}
}

// returned reports whether Serve has returned.
func (r *serveResult) returned() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func serveAsync(serve func() error) *serveResult {
	r := &serveResult{done: make(chan struct{})}
	go func() {
		r.err = serve()
		close(r.done)
	}()
	return r
}

// listenTCP listens on an ephemeral loopback port.
func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startTCP serves s on an ephemeral loopback port (on ln if given) and
// closes s when the test ends.
func startTCP(t *testing.T, s *TCPServer, ln net.Listener) (string, *serveResult) {
	t.Helper()
	if ln == nil {
		ln = listenTCP(t)
	}
	addr := ln.Addr().String()
	r := serveAsync(func() error { return s.Serve(ln) })
	t.Cleanup(func() {
		s.Close()
		r.wait(t)
	})
	return addr, r
}

// dialTCP connects to addr with keep-alive off and a deadline of
// testTimeout on every operation; the test closes it when it ends.
func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := tryDialTCP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func tryDialTCP(addr string) (*net.TCPConn, error) {
	d := net.Dialer{KeepAlive: -1, Timeout: testTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	return c.(*net.TCPConn), nil
}

// roundTrip writes msg on c and checks that exactly its uppercase comes back.
func roundTrip(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	if err := tryRoundTrip(c, msg); err != nil {
		t.Fatal(err)
	}
}

func tryRoundTrip(c net.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write %d bytes: %w", len(msg), err)
	}
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read reply to %d bytes: got %d: %w", len(msg), n, err)
	}
	if want := naiveUpper(msg); !bytes.Equal(got, want) {
		return fmt.Errorf("reply to %q is %q, want %q", clip(msg), clip(got), clip(want))
	}
	return nil
}

// readToEnd reads c until an error, keeping at most limit bytes (a longer
// stream is an error), and returns what it read and the error that ended it.
func readToEnd(c net.Conn, limit int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if len(out)+n > limit {
			return out, fmt.Errorf("stream longer than %d bytes", limit)
		}
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// ended reports whether err, from reading a connection to its end, says
// the connection was ended: EOF or a reset, not a timeout nor a stream
// longer than expected.
func ended(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// reset makes c end with a RST: SO_LINGER 0, then close.
func reset(t *testing.T, c *net.TCPConn) {
	t.Helper()
	if err := c.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// payload returns n deterministic bytes covering every byte value.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x75706368))
	b := make([]byte, n+7)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n:n]
}

// floodBlock is what flood writes, over and over.
var floodBlock = payload(256<<10, 0xf100d)

// flood writes up to total bytes on c without reading, in floodBlock
// pieces, and returns how many it wrote and the error that stopped it. It
// starts writing at once, unlike a write of a freshly made payload.
func flood(c net.Conn, total int) (int, error) {
	n := 0
	for n < total {
		m, err := c.Write(floodBlock[:min(len(floodBlock), total-n)])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// clip shortens long byte strings in failure messages.
func clip(b []byte) []byte {
	if len(b) > 32 {
		return append(b[:32:32], "..."...)
	}
	return b
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// refused reports whether dialing addr is refused: nothing listens there.
func refused(addr string) bool {
	c, err := tryDialTCP(addr)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// recordingListener wraps the connections it accepts in recordingConns, so
// tests can see how the server reads, writes and closes them, and can hold
// a chosen write to put a reply "in flight".
type recordingListener struct {
	net.Listener
	// hold, if set, is called before each write with its bytes; the write
	// waits until it returns.
	hold func(c *recordingConn, p []byte)

	mu    sync.Mutex
	conns []*recordingConn
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c, hold: l.hold, closed: make(chan struct{})}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

// accepted returns the connections accepted so far.
func (l *recordingListener) accepted() []*recordingConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*recordingConn(nil), l.conns...)
}

// readCall is one Read: the buffer size asked for and the bytes returned.
type readCall struct{ size, n int }

type recordingConn struct {
	net.Conn
	hold func(c *recordingConn, p []byte)

	mu        sync.Mutex
	reads     []readCall
	written   int
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.reads = append(c.reads, readCall{len(p), n})
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	if c.hold != nil {
		c.hold(c, p)
	}
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written += n
	c.mu.Unlock()
	return n, err
}

// CloseWrite passes a half-close through to the TCP connection.
func (c *recordingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

// Close closes the connection, then tells a held Write: a Write that
// resumes finds the connection closed, and writes nothing.
func (c *recordingConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { close(c.closed) })
	return err
}

func (c *recordingConn) readCalls() []readCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]readCall(nil), c.reads...)
}

func (c *recordingConn) bytesWritten() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written
}

func (c *recordingConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// waitFor polls cond until it holds, failing the test after testTimeout. It
// waits for a positive signal; it never concludes anything from time alone.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// await receives from ch, failing the test if nothing comes within
// testTimeout: a test waits for positive signals but never forever.
func await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
