package servers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
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
// Workers goroutines that each read from the socket, transform and reply. A
// reply that blocks one worker never stops the others from reading, memory
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
	active  sync.WaitGroup
	closing atomic.Bool
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
// Serve.
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

	n := s.workers()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.worker(pc, log) }()
	}
	var first error
	for range n {
		if err := <-errs; first == nil {
			first = err
			// One worker's fatal error ends them all.
			pc.Close()
		}
	}
	return first
}

// worker reads datagrams and answers each; it returns ErrServerClosed when
// the server closes, or the error that made the socket unusable.
func (s *UDPServer) worker(pc net.PacketConn, log *slog.Logger) error {
	buf := make([]byte, s.maxDatagram())
	var backoff time.Duration
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				if s.closing.Load() {
					return ErrServerClosed
				}
				return err
			}
			// Per-peer errors (ICMP unreachable reported as ECONNREFUSED,
			// and the like): note them and go on reading, backing off so a
			// persistent error cannot spin.
			backoff = min(max(2*backoff, time.Millisecond), 100*time.Millisecond)
			log.Warn("udp read", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		UpperASCII(buf[:n])
		if _, err := pc.WriteTo(buf[:n], from); err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			// The reply is lost, as a datagram may be; the server goes on.
			log.Debug("udp reply", "peer", from.String(), "bytes", n, "err", err)
		}
	}
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

func (s *UDPServer) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for pc := range s.conns {
		pc.Close()
	}
}

// Shutdown stops the server: UDP has no connections to drain, so it closes
// the sockets, letting a reply being written finish, and waits for the
// workers until ctx ends.
func (s *UDPServer) Shutdown(ctx context.Context) error {
	s.closeAll()
	finished := make(chan struct{})
	go func() {
		s.active.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server at once and waits for its workers to end.
func (s *UDPServer) Close() error {
	s.closeAll()
	s.active.Wait()
	return nil
}
