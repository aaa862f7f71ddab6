package servers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/internal/neterr"
)

// TCPServer answers every chunk it reads on a connection with the chunk's
// ASCII uppercase, one goroutine per connection, as the seed's
// ThreadingTCPServer does. The zero value is ready to use: it listens on
// DefaultAddr and reads DefaultReadSize bytes at a time.
type TCPServer struct {
	// Addr is the address ListenAndServe listens on; "" means DefaultAddr.
	Addr string
	// ReadSize is the most bytes read (and so answered) at once: the seed's
	// recv(1024). Zero means DefaultReadSize; a negative value is an error.
	ReadSize int
	// MaxConns bounds the connections served at once; 0 means no bound.
	// Connections over the bound are not refused: the server stops
	// accepting until one ends, so they wait, established, in the kernel's
	// accept queue, and are served in turn.
	MaxConns int
	// IdleTimeout ends a connection that makes no progress for that long;
	// 0 means never, as in the seed. When no byte arrives for IdleTimeout
	// the server closes in order (FIN: the client reads EOF). When one
	// reply chunk cannot be written within IdleTimeout, because the client
	// does not read, the server gives up and closes; with the client's
	// unread bytes still queued, the kernel turns that close into a reset.
	// So neither a client that sends nothing (slowloris) nor one that
	// never reads holds a MaxConns slot for longer than IdleTimeout; a
	// client that trickles a byte now and then is served, as it should be,
	// and costs one goroutine.
	IdleTimeout time.Duration
	// KeepAlive is the TCP keep-alive period of accepted connections; 0
	// turns keep-alive off, as Python's sockets have it by default. Go's
	// 15-second default on thousands of idle loopback connections makes
	// bursts of probes that the kernel drops, killing healthy connections.
	KeepAlive time.Duration
	// Logger receives connection events at debug level and errors at warn;
	// nil discards them.
	Logger *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	slots     chan struct{}  // MaxConns tokens, shared by every Serve call
	active    sync.WaitGroup // one per connection handler and per Serve
	closing   atomic.Bool
	done      chan struct{} // closed when closing becomes true
}

// shutdownLinger is how long Shutdown gives a client, once it has every
// reply byte and the EOF, to close its side first: see lingerClose.
const shutdownLinger = time.Second

// lingerPoll is how often a lingering connection whose reply is still on
// its way is asked whether it has arrived.
const lingerPoll = 10 * time.Millisecond

func (s *TCPServer) readSize() int {
	if s.ReadSize == 0 {
		return DefaultReadSize
	}
	return s.ReadSize
}

func (s *TCPServer) validate() error {
	switch {
	case s.ReadSize < 0:
		return fmt.Errorf("servers: TCPServer.ReadSize %d is negative", s.ReadSize)
	case s.MaxConns < 0:
		return fmt.Errorf("servers: TCPServer.MaxConns %d is negative", s.MaxConns)
	case s.IdleTimeout < 0:
		return fmt.Errorf("servers: TCPServer.IdleTimeout %v is negative", s.IdleTimeout)
	case s.KeepAlive < 0:
		return fmt.Errorf("servers: TCPServer.KeepAlive %v is negative", s.KeepAlive)
	}
	return nil
}

// ListenAndServe listens on s.Addr (DefaultAddr if empty) and calls Serve.
func (s *TCPServer) ListenAndServe() error {
	if err := s.validate(); err != nil {
		return err
	}
	if s.closing.Load() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := Listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Listen listens for TCP on addr with keep-alive off, as the reference
// servers and upcheck's clients use it.
func Listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// Serve accepts connections on ln and serves each in its own goroutine until
// Shutdown or Close, then returns ErrServerClosed. It closes ln when it returns.
func (s *TCPServer) Serve(ln net.Listener) error {
	if err := s.validate(); err != nil {
		ln.Close()
		return err
	}
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.active.Done()
	defer s.untrack(ln)
	log := loggerOr(s.Logger)
	log.Info("tcp listening", "addr", ln.Addr().String())

	slots, done := s.slotsChan(), s.doneChan()
	var backoff time.Duration
	for {
		if slots != nil {
			select {
			case slots <- struct{}{}:
			case <-done:
				return ErrServerClosed
			}
		}
		c, err := ln.Accept()
		if err != nil {
			if slots != nil {
				<-slots
			}
			if s.closing.Load() {
				return ErrServerClosed
			}
			if isTemporary(err) {
				// Out of file descriptors and the like: wait and retry, as
				// net/http does, instead of ending the server.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				log.Warn("tcp accept", "err", err, "retry_in", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-done:
					t.Stop()
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		backoff = 0
		if !s.trackConn(c) {
			c.Close()
			return ErrServerClosed
		}
		go func() {
			defer s.active.Done()
			defer s.untrackConn(c)
			if slots != nil {
				defer func() { <-slots }()
			}
			s.serveConn(c, log)
		}()
	}
}

// serveConn is the seed's handle(): read up to ReadSize bytes, send their
// uppercase, stop on an empty read or a reset.
func (s *TCPServer) serveConn(c net.Conn, log *slog.Logger) {
	defer c.Close()
	if t, ok := c.(*net.TCPConn); ok {
		if s.KeepAlive > 0 {
			t.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: s.KeepAlive, Interval: s.KeepAlive})
		} else {
			t.SetKeepAlive(false)
		}
	}
	logOpen(log, c)
	buf := make([]byte, s.readSize())
	total, how, err := s.answer(c, buf)
	logEnded(log, c, how, total, err)
}

// connEnd says how answer ended a connection.
type connEnd int

const (
	endEOF      connEnd = iota // the client half-closed: every reply written
	endShutdown                // Shutdown: ended in order by lingerClose
	endRead                    // a read failed, or IdleTimeout passed
	endWrite                   // a write failed, or could not finish in IdleTimeout
)

// answer is serveConn's loop: read up to ReadSize bytes, write their
// uppercase, until an empty read, an error or Shutdown. It is kept apart
// from the logging so that its stack frame is small: a goroutine idle in
// its Read then fits in the runtime's smallest stack (2 KiB), where the
// logging calls' argument arrays made every connection's grow to 4 KiB.
func (s *TCPServer) answer(c net.Conn, buf []byte) (total int64, how connEnd, err error) {
	for {
		if s.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(s.IdleTimeout))
		}
		// Checked after the deadline is set, so that Shutdown's deadline
		// either wakes the Read below or is seen here.
		if s.closing.Load() {
			lingerClose(c, buf)
			return total, endShutdown, nil
		}
		n, rerr := c.Read(buf)
		if n > 0 {
			UpperASCII(buf[:n])
			if s.IdleTimeout > 0 {
				c.SetWriteDeadline(time.Now().Add(s.IdleTimeout))
			}
			// net.Conn.Write writes all of buf or returns an error.
			_, werr := c.Write(buf[:n])
			total += int64(n)
			if werr != nil {
				return total, endWrite, werr
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				// The empty read: the client half-closed. Every reply byte is
				// written; close in order with a FIN.
				return total, endEOF, nil
			}
			if s.closing.Load() && neterr.IsTimeout(rerr) {
				continue // Shutdown's wake-up: the loop's top ends in order
			}
			return total, endRead, rerr
		}
	}
}

// logOpen logs a new connection at debug level.
//
//go:noinline
func logOpen(log *slog.Logger, c net.Conn) {
	if log.Enabled(context.Background(), slog.LevelDebug) {
		log.Debug("tcp open", "peer", c.RemoteAddr().String())
	}
}

// logEnded logs how a connection ended: at debug level when it ended as
// connections do (EOF, Shutdown, a timeout, a reset), at warn otherwise.
// The peer's address is only formatted when the line is written: it cost a
// few percent of the CPU of a connection that comes and goes.
//
//go:noinline
func logEnded(log *slog.Logger, c net.Conn, how connEnd, total int64, err error) {
	var msg string
	switch {
	case how == endEOF:
		msg = "tcp eof"
	case how == endShutdown:
		msg = "tcp shutdown"
	case how == endWrite && neterr.IsTimeout(err):
		msg = "tcp write timeout"
	case how == endRead && neterr.IsTimeout(err):
		msg = "tcp idle timeout"
	}
	if msg != "" {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug(msg, "peer", c.RemoteAddr().String(), "bytes", total)
		}
		return
	}
	what := "tcp read"
	if how == endWrite {
		what = "tcp write"
	}
	if log.Enabled(context.Background(), slog.LevelWarn) {
		logEnd(log, what, c.RemoteAddr().String(), total, err)
	}
}

// lingerClose prepares a connection for its close at Shutdown. Closing a
// socket whose input was not all read makes the kernel send a reset and
// drop the reply bytes still queued for the client, so instead it
// half-closes (FIN after the last reply byte) and discards what the client
// still sends, until the client closes its side, or Close ends it, or
// shutdownLinger has passed and the client has acknowledged every reply
// byte and the FIN (where the system can tell: Linux). A client that reads
// its reply slowly, even one that keeps writing as a client streaming both
// ways does until it sees the EOF, gets all of it; one that never reads
// holds Shutdown until its context ends. An idle client that reads the EOF
// and closes lingers for one round trip.
func lingerClose(c net.Conn, buf []byte) {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	end := time.Now().Add(shutdownLinger)
	for {
		// Set each time round: Shutdown's own wake-up deadline may land
		// after this one, and must not cut the linger short.
		c.SetReadDeadline(end)
		_, err := c.Read(buf)
		switch {
		case err == nil:
			continue
		case !neterr.IsTimeout(err):
			return // the client closed its side, reset, or Close
		case time.Now().Before(end):
			continue
		}
		if n, ok := unacked(c); !ok || n == 0 {
			return
		}
		end = time.Now().Add(lingerPoll) // the reply is still on its way
	}
}

// logEnd logs how a connection ended: a reset or broken pipe is the client's
// choice and is quiet (debug); anything else is a warning.
func logEnd(log *slog.Logger, what, peer string, total int64, err error) {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		log.Debug(what+" ended", "peer", peer, "bytes", total, "err", err)
		return
	}
	log.Warn(what+" failed", "peer", peer, "bytes", total, "err", err)
}

func isTemporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, os.ErrDeadlineExceeded)
}

func (s *TCPServer) doneChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

// slotsChan returns the MaxConns tokens, nil when connections are not
// bounded. It is made once, so that every Serve call shares the bound.
func (s *TCPServer) slotsChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots == nil && s.MaxConns > 0 {
		s.slots = make(chan struct{}, s.MaxConns)
	}
	return s.slots
}

func (s *TCPServer) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[ln] = struct{}{}
	s.active.Add(1)
	return true
}

func (s *TCPServer) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
	ln.Close()
}

func (s *TCPServer) trackConn(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	s.active.Add(1)
	return true
}

func (s *TCPServer) untrackConn(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// beginClose stops accepting: it marks the server closed and closes every
// listener. It reports the connections open at that moment.
func (s *TCPServer) beginClose() []net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.CompareAndSwap(false, true) {
		if s.done == nil {
			s.done = make(chan struct{})
		}
		close(s.done)
	}
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

// Shutdown stops the server gracefully: it closes the listeners, lets every
// connection finish writing the reply to the data it has already read, then
// ends each connection in order (FIN after the last reply byte; see
// lingerClose), and waits for all of them. If ctx ends first, it closes what
// is left at once and returns ctx.Err(). Either way, when it returns, no
// goroutine of the server is left. Connections still waiting in the
// kernel's accept queue (over MaxConns) are reset by the kernel when the
// listener closes, as they are for any server that stops listening.
func (s *TCPServer) Shutdown(ctx context.Context) error {
	for _, c := range s.beginClose() {
		// Wake handlers blocked in Read; a handler in the middle of a reply
		// is not interrupted, because only its read deadline moves.
		c.SetReadDeadline(time.Now())
	}
	finished := make(chan struct{})
	go func() {
		s.active.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		s.Close()
		<-finished
		return ctx.Err()
	}
}

// Close stops the server at once: it closes every listener and connection
// and waits for their goroutines to end.
func (s *TCPServer) Close() error {
	for _, c := range s.beginClose() {
		c.Close()
	}
	s.active.Wait()
	return nil
}
