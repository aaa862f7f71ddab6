package clients_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/servers/serverstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every test's network operations: generous, since the
// tests wait for positive signals and only a broken client ever waits it out.
var testTimeout = slow.Bound(10 * time.Second)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts the reference servers and closes them when the test ends.
func startServer(t *testing.T) *serverstest.Server {
	t.Helper()
	s := serverstest.NewServer()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing reference servers: %v", err)
		}
	})
	return s
}

// localServer is a TCP server on 127.0.0.1:0 that runs handle on every
// connection, for the misbehaving servers the reference never is. When the
// test ends it closes the listener and every connection and waits for every
// handler.
type localServer struct {
	Addr   string
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conn   map[net.Conn]struct{}
	closed bool
	done   chan struct{} // closed at cleanup: handlers that wait select on it
}

func newLocalServer(t *testing.T, handle func(c *net.TCPConn, done <-chan struct{})) *localServer {
	t.Helper()
	ln, err := servers.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &localServer{Addr: ln.Addr().String(), ln: ln, conn: map[net.Conn]struct{}{}, done: make(chan struct{})}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conn[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				defer func() {
					s.mu.Lock()
					delete(s.conn, c)
					s.mu.Unlock()
					c.Close()
				}()
				// Bound every handler, whatever it does.
				c.SetDeadline(time.Now().Add(testTimeout))
				handle(c.(*net.TCPConn), s.done)
			})
		}
	})
	t.Cleanup(func() {
		close(s.done)
		ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conn {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// upper is the model of the transform: Python's bytes.upper().
func upper(p []byte) []byte {
	out := make([]byte, len(p))
	for i, b := range p {
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		out[i] = b
	}
	return out
}
