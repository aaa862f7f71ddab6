package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// dialTimeout bounds the dial to the upstream server; Close cuts it short.
const dialTimeout = 10 * time.Second

// Proxy relays TCP connections from its loopback address to an upstream
// server, injecting the faults of its Config.
type Proxy struct {
	upstream string
	ln       net.Listener
	ctx      context.Context // cancelled by Close; bounds upstream dials
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the accept loop and one per connection

	mu      sync.Mutex
	cfg     Config
	conns   map[*conn]struct{}
	next    int // index of the next connection
	closing bool

	stats struct {
		conns, active, up, down, resets, passed, stalls, dialErrors atomic.Int64
	}
}

// Stats counts what a Proxy has done since it started.
type Stats struct {
	// Conns is the number of connections accepted, Active the number still
	// open.
	Conns, Active int64
	// BytesUp and BytesDown are the bytes relayed client to server and
	// server to client.
	BytesUp, BytesDown int64
	// Resets counts the resets injected by Faults.Reset, PassedResets the
	// resets (and failed reads or writes) seen on one side and passed on
	// to the other, Stalls the directions stopped by Faults.Stall.
	Resets, PassedResets, Stalls int64
	// DialErrors counts connections whose upstream dial failed; their
	// client is reset.
	DialErrors int64
}

// New starts a Proxy listening on 127.0.0.1 (on ::1 when upstream is an
// IPv6 address) with an ephemeral port that relays every connection to
// upstream (host:port) with the faults of cfg. It accepts connections when
// it returns. TCP keep-alive is off on every socket.
func New(upstream string, cfg Config) (*Proxy, error) {
	host, _, err := net.SplitHostPort(upstream)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: upstream %q: %v", upstream, err)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	local := "127.0.0.1:0"
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().Is6() {
		local = "[::1]:0"
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", local)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		upstream: upstream,
		ln:       ln,
		ctx:      ctx,
		cancel:   cancel,
		cfg:      cfg,
		conns:    make(map[*conn]struct{}),
	}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the address the Proxy listens on, as 127.0.0.1:port (or
// [::1]:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Upstream returns the address the Proxy relays to.
func (p *Proxy) Upstream() string { return p.upstream }

// SetConfig replaces the Config for connections accepted from now on;
// connections already open keep theirs. It returns an error, and changes
// nothing, if cfg is invalid.
func (p *Proxy) SetConfig(cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
	return nil
}

// Stats returns the Proxy's counters.
func (p *Proxy) Stats() Stats {
	s := &p.stats
	return Stats{
		Conns:        s.conns.Load(),
		Active:       s.active.Load(),
		BytesUp:      s.up.Load(),
		BytesDown:    s.down.Load(),
		Resets:       s.resets.Load(),
		PassedResets: s.passed.Load(),
		Stalls:       s.stalls.Load(),
		DialErrors:   s.dialErrors.Load(),
	}
}

// Close stops the Proxy: it closes the listener and both sides of every
// connection, whatever state they are in, and waits until every goroutine
// the Proxy started has ended. It may be called more than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closing = true
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	for _, c := range conns {
		c.end(false)
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// serve accepts connections until Close.
func (p *Proxy) serve() {
	defer p.wg.Done()
	var backoff time.Duration
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil || !temporary(err) {
				return
			}
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-p.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		c, ok := p.track(nc.(*net.TCPConn))
		if !ok {
			nc.Close()
			return
		}
		go c.serve()
	}
}

// track registers a new connection with the Config current now; it reports
// false once the Proxy is closing.
func (p *Proxy) track(client *net.TCPConn) (*conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return nil, false
	}
	c := newConn(p, p.next, client, p.cfg)
	p.next++
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	p.stats.conns.Add(1)
	p.stats.active.Add(1)
	return c, true
}

func (p *Proxy) untrack(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	p.stats.active.Add(-1)
}

func temporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, os.ErrDeadlineExceeded)
}
