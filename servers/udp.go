package servers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// UDPServer answers every datagram with one datagram carrying its ASCII
// uppercase, sent from the bound socket to the datagram's source address, as
// the seed's ThreadingUDPServer does with sendto(data.upper(), client_address).
// The zero value is ready to use: it listens on DefaultAddr and reads
// DefaultMaxDatagram bytes of each datagram.
//
// Where the seed starts a thread per datagram, UDPServer runs a fixed pool of
// Workers goroutines that take turns reading from the socket, and each
// transforms and answers what it read. The worker whose turn it is hands
// the turn on before replying when the datagram it read was already queued
// (more load than one worker keeps up with), and before its reply waits
// for room in the send buffer; otherwise it replies and reads again
// itself. So under load the workers read and reply at once, a reply that
// blocks never stops reading, and a lone client's round trip costs no
// hand-off between goroutines (which doubled its CPU time). On Linux the
// sockets are read and written with recvfrom and sendto directly to tell
// (see rawDatagramConn); elsewhere the turn is always handed on. Memory
// stays bounded under a flood, and there is no goroutine per datagram.
type UDPServer struct {
	// Addr is the address ListenAndServe listens on; "" means DefaultAddr.
	Addr string
	// MaxDatagram is the most bytes read of one datagram: socketserver's
	// max_packet_size. A longer datagram is answered with its first
	// MaxDatagram bytes, as recvfrom(8192) truncates it. Zero means
	// DefaultMaxDatagram; a negative value is an error.
	MaxDatagram int
	// Workers is the number of goroutines reading and answering; 0 means
	// max(4, GOMAXPROCS).
	Workers int
	// Logger receives errors at warn level and per-datagram events at debug;
	// nil discards them.
	Logger *slog.Logger

	mu      sync.Mutex
	conns   map[net.PacketConn]struct{}
	active  sync.WaitGroup // one per Serve call
	closing atomic.Bool
	done    chan struct{} // closed when closing becomes true
}

func (s *UDPServer) maxDatagram() int {
	if s.MaxDatagram == 0 {
		return DefaultMaxDatagram
	}
	return s.MaxDatagram
}

func (s *UDPServer) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return max(4, runtime.GOMAXPROCS(0))
}

func (s *UDPServer) validate() error {
	switch {
	case s.MaxDatagram < 0:
		return fmt.Errorf("servers: UDPServer.MaxDatagram %d is negative", s.MaxDatagram)
	case s.MaxDatagram > 65535:
		return fmt.Errorf("servers: UDPServer.MaxDatagram %d is over 65535", s.MaxDatagram)
	case s.Workers < 0:
		return fmt.Errorf("servers: UDPServer.Workers %d is negative", s.Workers)
	}
	return nil
}

// ListenAndServe listens on s.Addr (DefaultAddr if empty) and calls Serve.
func (s *UDPServer) ListenAndServe() error {
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
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return s.Serve(pc)
}

// Serve answers datagrams on pc until Shutdown or Close, then returns
// ErrServerClosed. It closes pc when it returns. Errors from reading that
// belong to one datagram or one peer (ECONNREFUSED from an ICMP port
// unreachable after a reply to a closed port, say) are logged and never end
// Serve; only pc being closed under it does.
func (s *UDPServer) Serve(pc net.PacketConn) error {
	if err := s.validate(); err != nil {
		pc.Close()
		return err
	}
	if !s.track(pc) {
		pc.Close()
		return ErrServerClosed
	}
	defer s.active.Done()
	defer s.untrack(pc)
	log := loggerOr(s.Logger)
	log.Info("udp listening", "addr", pc.LocalAddr().String())

	done := s.doneChan()
	// turn holds the right to read, which one worker at a time has; stop
	// wakes the others when one ends.
	turn, stop := make(chan struct{}, 1), make(chan struct{})
	turn <- struct{}{}
	n := s.workers()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.worker(pc, turn, done, stop, log) }()
	}
	var first error
	for range n {
		err := <-errs
		if first == nil {
			first = err
			close(stop)
			if err != ErrServerClosed {
				// A fatal error ends every worker. At Shutdown each worker
				// ends by itself, once its reply in hand is written.
				pc.Close()
			}
		}
	}
	return first
}

// worker reads datagrams when it has the turn and answers each; it returns
// ErrServerClosed when the server closes or another worker ended (stop),
// or the error that made the socket unusable.
func (s *UDPServer) worker(pc net.PacketConn, turn chan struct{}, done, stop <-chan struct{}, log *slog.Logger) error {
	buf := make([]byte, s.maxDatagram())
	dc := newDatagramConn(pc)
	var (
		backoff time.Duration
		myTurn  bool
	)
	handOn := func() {
		if myTurn {
			turn <- struct{}{} // never blocks: the one turn was ours
			myTurn = false
		}
	}
	for {
		if !myTurn {
			select {
			case <-turn:
				myTurn = true
			case <-done:
				return ErrServerClosed
			case <-stop:
				return ErrServerClosed
			}
		}
		n, queued, err := dc.read(buf)
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Per-peer errors (ICMP unreachable reported as ECONNREFUSED,
			// and the like): note them and go on reading, backing off so a
			// persistent error cannot spin.
			backoff = min(max(2*backoff, time.Millisecond), 100*time.Millisecond)
			log.Warn("udp read", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-done:
				t.Stop()
				return ErrServerClosed
			case <-stop:
				t.Stop()
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		if queued {
			// More load than one worker keeps up with: let the next read
			// while this one replies.
			handOn()
		}
		UpperASCII(buf[:n])
		if err := dc.reply(buf[:n], handOn); err != nil {
			if errors.Is(err, net.ErrClosed) {
				if s.closing.Load() {
					return ErrServerClosed
				}
				return err
			}
			// The reply is lost, as a datagram may be; the server goes on.
			log.Debug("udp reply", "peer", dc.peer(), "bytes", n, "err", err)
		}
	}
}

// datagramConn is how a UDP worker reads datagrams and answers them.
type datagramConn interface {
	// read reads one datagram into buf (cut to len(buf), as recvfrom
	// does). queued reports that the datagram was already waiting when
	// read was called: a sign of more load than one worker keeps up with.
	// An implementation that cannot tell says true.
	read(buf []byte) (n int, queued bool, err error)
	// reply sends p to the source of the datagram read last. If the reply
	// must wait for room in the socket's send buffer, it calls blocked
	// before it waits.
	reply(p []byte, blocked func()) error
	// peer is the source of the datagram read last, for logs.
	peer() string
}

// netDatagramConn reads and answers through the net.PacketConn methods:
// it cannot tell whether a datagram was queued, so a worker always hands
// the turn on before it replies.
type netDatagramConn struct {
	pc     net.PacketConn
	uc     *net.UDPConn // set for a *net.UDPConn: no address allocated per datagram
	from   net.Addr
	fromAP netip.AddrPort
}

func (c *netDatagramConn) read(buf []byte) (n int, queued bool, err error) {
	if c.uc != nil {
		n, c.fromAP, err = c.uc.ReadFromUDPAddrPort(buf)
	} else {
		n, c.from, err = c.pc.ReadFrom(buf)
	}
	return n, true, err
}

func (c *netDatagramConn) reply(p []byte, blocked func()) error {
	var err error
	if c.uc != nil {
		_, err = c.uc.WriteToUDPAddrPort(p, c.fromAP)
	} else {
		_, err = c.pc.WriteTo(p, c.from)
	}
	return err
}

func (c *netDatagramConn) peer() string {
	if c.uc != nil {
		return c.fromAP.String()
	}
	if c.from == nil {
		return ""
	}
	return c.from.String()
}

func (s *UDPServer) doneChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

func (s *UDPServer) track(pc net.PacketConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[net.PacketConn]struct{})
	}
	s.conns[pc] = struct{}{}
	s.active.Add(1)
	return true
}

func (s *UDPServer) untrack(pc net.PacketConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, pc)
	pc.Close()
}

// beginClose marks the server closed and reports its sockets.
func (s *UDPServer) beginClose() []net.PacketConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.CompareAndSwap(false, true) {
		if s.done == nil {
			s.done = make(chan struct{})
		}
		close(s.done)
	}
	pcs := make([]net.PacketConn, 0, len(s.conns))
	for pc := range s.conns {
		pcs = append(pcs, pc)
	}
	return pcs
}

// Shutdown stops the server gracefully: it stops reading, lets every worker
// finish writing the reply it is working on, then closes the sockets and
// waits for the workers. Datagrams still queued in a socket are not
// answered, as they would not be by a server that exits. If ctx ends first,
// it closes the sockets at once and returns ctx.Err(). Either way, when it
// returns, no goroutine of the server is left.
func (s *UDPServer) Shutdown(ctx context.Context) error {
	for _, pc := range s.beginClose() {
		// Wake the workers blocked in reads; a reply being written is not
		// interrupted, because only the read deadline moves.
		pc.SetReadDeadline(time.Now())
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

// Close stops the server at once: it closes its sockets and waits for its
// workers to end.
func (s *UDPServer) Close() error {
	for _, pc := range s.beginClose() {
		pc.Close()
	}
	s.active.Wait()
	return nil
}
