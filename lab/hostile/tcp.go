package hostile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// TCPBehavior is how a hostile TCP server treats its connections.
type TCPBehavior string

// The behaviours of a hostile TCP server.
const (
	// Upper answers as the reference does: the uppercase of each chunk,
	// and a close after the client's EOF. With TCPServer.DieAfter it is a
	// server that dies mid-run.
	Upper TCPBehavior = "upper"
	// NeverAccept listens and never accepts: the kernel completes each
	// handshake and queues the connection, and nothing ever reads it.
	NeverAccept TCPBehavior = "never-accept"
	// BacklogFull listens with a backlog of one connection, and fills it:
	// every further connect waits for a handshake that never completes.
	BacklogFull TCPBehavior = "backlog-full"
	// Silent accepts, reads and discards everything, and never answers or
	// closes.
	Silent TCPBehavior = "silent"
	// Endless answers every connection with an endless stream of "A",
	// whatever the client sends.
	Endless TCPBehavior = "endless"
	// Trickle answers every connection with an endless stream of "A", one
	// byte a millisecond: slow enough that a reader's cap is never reached
	// within a check's timeout.
	Trickle TCPBehavior = "trickle"
	// NoClose answers correctly but never closes after the client's EOF.
	NoClose TCPBehavior = "no-close"
	// Garbage answers each chunk with as many bytes, every one of them
	// wrong.
	Garbage TCPBehavior = "garbage"
	// CloseAtOnce closes each connection as soon as it is accepted (FIN).
	CloseAtOnce TCPBehavior = "close"
	// ResetAtOnce resets each connection as soon as it is accepted (RST).
	ResetAtOnce TCPBehavior = "reset"
)

// TCPBehaviors lists every TCP behaviour.
var TCPBehaviors = []TCPBehavior{Upper, NeverAccept, BacklogFull, Silent, Endless, Trickle, NoClose, Garbage, CloseAtOnce, ResetAtOnce}

// ParseTCPBehavior returns the behaviour named s.
func ParseTCPBehavior(s string) (TCPBehavior, error) {
	for _, b := range TCPBehaviors {
		if string(b) == s {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown TCP behaviour %q (want one of %v)", s, TCPBehaviors)
}

// TCPServer is a running hostile TCP server.
type TCPServer struct {
	behavior   TCPBehavior
	dieAfter   int
	stallAfter int
	onDie      func()

	ln     net.Listener
	filler net.Conn // BacklogFull's own connection, which fills the backlog
	done   chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	accepted atomic.Int64
	died     atomic.Bool
}

// TCPConfig says how a hostile TCP server behaves.
type TCPConfig struct {
	// Addr is where to listen; "" means 127.0.0.1 with a port the kernel
	// picks.
	Addr     string
	Behavior TCPBehavior
	// DieAfter, if positive, makes the server die once it has accepted
	// that many connections: the next connection it accepts ends it, and
	// it closes its listener and every connection. OnDie, if not nil, is
	// then called once (a server command exits there).
	DieAfter int
	OnDie    func()
	// StallAfter, if positive, makes every connection accepted after the
	// first StallAfter silent: the server hangs without dying.
	StallAfter int
}

// StartTCP starts a hostile TCP server as cfg says.
func StartTCP(cfg TCPConfig) (*TCPServer, error) {
	if _, err := ParseTCPBehavior(string(cfg.Behavior)); err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	if cfg.DieAfter < 0 || cfg.StallAfter < 0 {
		return nil, fmt.Errorf("hostile: DieAfter %d or StallAfter %d is negative", cfg.DieAfter, cfg.StallAfter)
	}
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := &TCPServer{behavior: cfg.Behavior, dieAfter: cfg.DieAfter, stallAfter: cfg.StallAfter, onDie: cfg.OnDie, done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	var err error
	if cfg.Behavior == BacklogFull {
		s.ln, err = listenBacklogOne(addr)
	} else {
		lc := net.ListenConfig{KeepAlive: -1}
		s.ln, err = lc.Listen(context.Background(), "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	switch cfg.Behavior {
	case NeverAccept:
		// Nothing to run: the kernel queues every connection.
	case BacklogFull:
		d := net.Dialer{KeepAlive: -1, Timeout: 5 * time.Second}
		if s.filler, err = d.Dial("tcp", s.ln.Addr().String()); err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("hostile: filling the backlog: %w", err)
		}
	default:
		s.wg.Add(1)
		go s.serve()
	}
	return s, nil
}

// Addr is the address the server listens on.
func (s *TCPServer) Addr() string { return s.ln.Addr().String() }

// Accepted is how many connections the server has accepted.
func (s *TCPServer) Accepted() int64 { return s.accepted.Load() }

// Died reports whether a DieAfter server has died.
func (s *TCPServer) Died() bool { return s.died.Load() }

// Close stops the server: it closes the listener and every connection, and
// waits for every goroutine it started. It may be called more than once.
func (s *TCPServer) Close() error {
	s.shut()
	s.wg.Wait()
	return nil
}

// shut closes the listener and every connection.
func (s *TCPServer) shut() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.ln.Close()
	if s.filler != nil {
		s.filler.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}

func (s *TCPServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A hostile server is still not a busy loop.
			select {
			case <-s.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		n := s.accepted.Add(1)
		if s.dieAfter > 0 && n > int64(s.dieAfter) {
			c.Close()
			s.die()
			return
		}
		b := s.behavior
		if s.stallAfter > 0 && n > int64(s.stallAfter) {
			b = Silent
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c.(*net.TCPConn), b)
		}()
	}
}

// die ends a DieAfter server, as if its process had exited.
func (s *TCPServer) die() {
	if s.died.Swap(true) {
		return
	}
	s.shut()
	if s.onDie != nil {
		s.onDie()
	}
}

func (s *TCPServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *TCPServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// handle treats one connection as the behaviour says. Every blocking call
// ends when Close closes the connection.
func (s *TCPServer) handle(c *net.TCPConn, b TCPBehavior) {
	c.SetKeepAlive(false)
	switch b {
	case CloseAtOnce:
		return
	case ResetAtOnce:
		c.SetLinger(0)
		return
	case Silent:
		io.Copy(io.Discard, c)
		<-s.done // never close, whatever the client does
	case Endless, Trickle:
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			io.Copy(io.Discard, c) // ends when the connection closes
		}()
		stream := make([]byte, 32<<10)
		for i := range stream {
			stream[i] = 'A'
		}
		if b == Trickle {
			stream = stream[:1]
		}
		for {
			if _, err := c.Write(stream); err != nil {
				return
			}
			if b == Trickle {
				select {
				case <-time.After(time.Millisecond):
				case <-s.done:
					return
				}
			}
		}
	case Upper, NoClose, Garbage:
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				transform(b, buf[:n])
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if err == io.EOF && b == NoClose {
					<-s.done
				}
				return
			}
		}
	}
}

// transform turns a chunk into the behaviour's answer, in place.
func transform(b TCPBehavior, p []byte) {
	for i, c := range p {
		switch {
		case b == Garbage:
			// Never the right answer: a-z would become A-Z (c^0x20),
			// everything else itself.
			p[i] = c ^ 0xA5
		case 'a' <= c && c <= 'z':
			p[i] = c - ('a' - 'A')
		}
	}
}
