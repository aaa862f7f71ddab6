package faultproxy

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// drainLimit bounds how long an injected reset waits for the bytes already
// written to leave the proxy's sockets.
const drainLimit = time.Second

// conn is one proxied connection: the accepted client side, the dialled
// server side, and the Config it was accepted under.
type conn struct {
	p      *Proxy
	index  int
	cfg    Config
	client *net.TCPConn
	done   chan struct{} // closed when the connection ends

	mu     sync.Mutex
	server *net.TCPConn // nil until dialled
	ended  bool
}

func newConn(p *Proxy, index int, client *net.TCPConn, cfg Config) *conn {
	return &conn{p: p, index: index, cfg: cfg, client: client, done: make(chan struct{})}
}

// serve dials the upstream server and relays both directions until both
// have ended, or the connection is reset or closed.
func (c *conn) serve() {
	defer c.p.wg.Done()
	defer c.p.untrack(c)
	c.client.SetKeepAlive(false)
	c.client.SetNoDelay(true)
	// clients.DialTCP, as the harness's own connects: keep-alive off, and
	// a SYN that a full accept queue dropped is sent again within
	// milliseconds, not after the kernel's second.
	ctx, cancel := context.WithTimeout(c.p.ctx, dialTimeout)
	tc, err := clients.DialTCP(ctx, c.p.upstream)
	cancel()
	if err != nil {
		if c.p.ctx.Err() == nil {
			c.p.stats.dialErrors.Add(1)
		}
		// As if the upstream refused the client.
		c.end(true)
		return
	}
	server := tc.Conn
	server.SetNoDelay(true)
	if !c.setServer(server) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		newRelay(c, Down, server, c.client).run()
	}()
	newRelay(c, Up, c.client, server).run()
	wg.Wait()
	c.end(false)
}

func (c *conn) setServer(s *net.TCPConn) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		s.Close()
		return false
	}
	c.server = s
	c.mu.Unlock()
	return true
}

// end closes both sides once; with reset, it sets a zero linger first so
// that each side gets a reset instead of an orderly close. It wakes every
// relay goroutine of the connection, and reports whether this call ended it.
func (c *conn) end(reset bool) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	c.ended = true
	server := c.server
	c.mu.Unlock()
	close(c.done)
	for _, s := range []*net.TCPConn{c.client, server} {
		if s == nil {
			continue
		}
		if reset {
			s.SetLinger(0)
		}
		s.Close()
	}
	return true
}

// sleep waits for d, or until the connection ends; it reports whether the
// connection is still open.
func (c *conn) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-c.done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

// drain waits, for at most drainLimit, until every byte written to either
// side has been sent, so that a reset that follows cannot overtake them.
func (c *conn) drain() {
	c.mu.Lock()
	server := c.server
	c.mu.Unlock()
	deadline := time.Now().Add(drainLimit)
	for _, s := range []*net.TCPConn{c.client, server} {
		for {
			n, ok := unsent(s)
			if !ok || n == 0 || time.Now().After(deadline) {
				break
			}
			if !c.sleep(100 * time.Microsecond) {
				return
			}
		}
	}
}

func (c *conn) trace(dir Direction, kind EventKind, off int64, size int) {
	if c.cfg.Trace != nil {
		c.cfg.Trace(Event{Conn: c.index, Dir: dir, Kind: kind, Offset: off, Size: size})
	}
}
