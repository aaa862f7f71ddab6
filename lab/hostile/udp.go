package hostile

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// UDPBehavior is how a hostile UDP server treats datagrams.
type UDPBehavior string

// The behaviours of a hostile UDP server.
const (
	// UDPUpper answers as the reference does: one datagram carrying the
	// uppercase.
	UDPUpper UDPBehavior = "upper"
	// Mute reads every datagram and never answers.
	Mute UDPBehavior = "mute"
	// Flood answers every datagram with its uppercase, then with
	// FloodCount datagrams of FloodSize bytes.
	Flood UDPBehavior = "flood"
)

// UDPBehaviors lists every UDP behaviour.
var UDPBehaviors = []UDPBehavior{UDPUpper, Mute, Flood}

// ParseUDPBehavior returns the behaviour named s.
func ParseUDPBehavior(s string) (UDPBehavior, error) {
	for _, b := range UDPBehaviors {
		if string(b) == s {
			return b, nil
		}
	}
	return "", fmt.Errorf("unknown UDP behaviour %q (want one of %v)", s, UDPBehaviors)
}

// The flood a Flood server sends for each datagram: 640 KiB, more than a
// client socket's receive buffer holds by default.
const (
	FloodCount = 20
	FloodSize  = 32 << 10
)

// UDPServer is a running hostile UDP server.
type UDPServer struct {
	behavior UDPBehavior
	pc       net.PacketConn
	wg       sync.WaitGroup
}

// StartUDP starts a hostile UDP server on addr ("" means 127.0.0.1 with a
// port the kernel picks).
func StartUDP(addr string, b UDPBehavior) (*UDPServer, error) {
	if _, err := ParseUDPBehavior(string(b)); err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	s := &UDPServer{behavior: b, pc: pc}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the address the server listens on.
func (s *UDPServer) Addr() string { return s.pc.LocalAddr().String() }

// Close stops the server and waits for its goroutine.
func (s *UDPServer) Close() error {
	err := s.pc.Close()
	s.wg.Wait()
	return err
}

func (s *UDPServer) serve() {
	defer s.wg.Done()
	buf := make([]byte, 1<<16)
	flood := make([]byte, FloodSize)
	for i := range flood {
		flood[i] = 'F'
	}
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // an ICMP error from an earlier reply, say
		}
		if s.behavior == Mute {
			continue
		}
		transform(Upper, buf[:n])
		s.pc.WriteTo(buf[:n], from)
		if s.behavior == Flood {
			for range FloodCount {
				s.pc.WriteTo(flood, from)
			}
		}
	}
}
