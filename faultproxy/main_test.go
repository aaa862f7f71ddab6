package faultproxy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/faultproxy"
	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/servers/serverstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ioTimeout bounds every client operation of these tests: reaching it means
// the proxy hung, never a slow machine.
var ioTimeout = slow.Bound(5 * time.Second)

// startServer starts the reference TCP server; its log errors are recorded.
func startServer(t *testing.T) (*serverstest.Server, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	s := serverstest.NewUnstartedServer()
	s.UDP = nil
	s.TCP.Logger = slog.New(rec)
	s.Start()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("server close: %v", err)
		}
	})
	return s, rec
}

func startProxy(t *testing.T, upstream string, cfg faultproxy.Config) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(upstream, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dial connects to addr with keep-alive off and a deadline on everything.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{KeepAlive: -1, Timeout: ioTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(ioTimeout))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readAll reads until an error, at most max bytes (and one more to see an
// overflow). It returns nil on EOF, as io.ReadAll does.
func readAll(c net.Conn, max int) ([]byte, error) {
	return io.ReadAll(io.LimitReader(c, int64(max)+1))
}

// roundTrip writes msg, half-closes, and returns everything read until EOF.
func roundTrip(t *testing.T, addr string, msg []byte) ([]byte, error) {
	t.Helper()
	c := dial(t, addr)
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatalf("close write: %v", err)
	}
	return readAll(c, len(msg))
}

// payload returns n bytes mixing lowercase, uppercase and non-letters,
// including 0x00 and 0xFF.
func payload(n int) []byte {
	pattern := []byte("hello, World! \x00\xff{abc-xyz} `@[]\x7f")
	return bytes.Repeat(pattern, n/len(pattern)+1)[:n]
}

func upper(b []byte) []byte { return servers.AppendUpperASCII(nil, b) }

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// waitFor polls cond until it holds; it fails the test if it does not within
// ioTimeout. It waits for a positive signal, never for an absence.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitIdle waits until every connection of p has ended, so that its Stats
// and Trace are final.
func waitIdle(t *testing.T, p *faultproxy.Proxy) {
	t.Helper()
	waitFor(t, "every proxied connection to end", func() bool { return p.Stats().Active == 0 })
}

// tracer records the Events of a proxy.
type tracer struct {
	mu     sync.Mutex
	events []faultproxy.Event
}

func (tr *tracer) trace(e faultproxy.Event) {
	tr.mu.Lock()
	tr.events = append(tr.events, e)
	tr.mu.Unlock()
}

// find returns the events of one connection, direction and kind.
func (tr *tracer) find(conn int, dir faultproxy.Direction, kind faultproxy.EventKind) []faultproxy.Event {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []faultproxy.Event
	for _, e := range tr.events {
		if e.Conn == conn && e.Dir == dir && e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (tr *tracer) has(conn int, dir faultproxy.Direction, kind faultproxy.EventKind) func() bool {
	return func() bool { return len(tr.find(conn, dir, kind)) > 0 }
}

// sizes returns the sizes of a connection's segments in one direction,
// checking that they tile the stream from offset 0.
func (tr *tracer) sizes(t *testing.T, conn int, dir faultproxy.Direction) []int {
	t.Helper()
	var out []int
	var off int64
	for _, e := range tr.find(conn, dir, faultproxy.SegmentWritten) {
		if e.Offset != off {
			t.Fatalf("conn %d %v: segment at offset %d, want %d", conn, dir, e.Offset, off)
		}
		off += int64(e.Size)
		out = append(out, e.Size)
	}
	return out
}

// logRecorder is a slog.Handler keeping the errors a server logs.
type logRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			l.mu.Lock()
			l.errs = append(l.errs, err)
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

// sawReset reports whether the server logged a connection ended by a reset
// (or, when the reset came while it was writing, a broken pipe).
func (l *logRecorder) sawReset() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
