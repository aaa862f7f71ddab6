// Package serverstest starts upcheck's reference servers for tests, in the
// style of net/http/httptest: the constructor listens on 127.0.0.1:0 before
// it returns, so a test can dial at once and never races on readiness or
// fixed ports.
package serverstest

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// Server is a reference TCP and UDP server pair listening on loopback.
type Server struct {
	// TCPAddr and UDPAddr are host:port of the listening sockets, "" for a
	// protocol that is not served.
	TCPAddr, UDPAddr string
	// TCP and UDP are the servers; set their fields before Start on a
	// server from NewUnstartedServer.
	TCP *servers.TCPServer
	UDP *servers.UDPServer

	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// NewServer starts a reference TCP and UDP server on 127.0.0.1 with
// ephemeral ports. It panics if loopback cannot be bound, as
// httptest.NewServer does: a test cannot go on without it.
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewTCPServer starts only the reference TCP server.
func NewTCPServer() *Server {
	s := NewUnstartedServer()
	s.UDP = nil
	s.Start()
	return s
}

// NewUDPServer starts only the reference UDP server.
func NewUDPServer() *Server {
	s := NewUnstartedServer()
	s.TCP = nil
	s.Start()
	return s
}

// NewUnstartedServer returns a Server with default reference servers, bound
// to nothing yet: adjust s.TCP or s.UDP (or set one to nil), then call Start.
func NewUnstartedServer() *Server {
	return &Server{TCP: &servers.TCPServer{}, UDP: &servers.UDPServer{}}
}

// Start binds 127.0.0.1:0 for each configured server and serves on it. The
// addresses are set, and the sockets accept traffic, when Start returns.
func (s *Server) Start() {
	if s.served != nil {
		panic("serverstest: Server already started")
	}
	s.served = make(chan error, 2)
	if s.TCP != nil {
		ln, err := servers.Listen("127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("serverstest: listen tcp: %v", err))
		}
		s.TCPAddr = ln.Addr().String()
		go func() { s.served <- s.TCP.Serve(ln) }()
	}
	if s.UDP != nil {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("serverstest: listen udp: %v", err))
		}
		s.UDPAddr = pc.LocalAddr().String()
		go func() { s.served <- s.UDP.Serve(pc) }()
	}
}

// Close stops both servers at once and waits until every goroutine they
// started has ended. It returns an error if a server stopped for any reason
// other than being closed. It may be called more than once, also
// concurrently; every call waits and returns the same error.
func (s *Server) Close() error {
	if s.served == nil {
		return nil
	}
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	n := 0
	if s.TCP != nil {
		s.TCP.Close()
		n++
	}
	if s.UDP != nil {
		s.UDP.Close()
		n++
	}
	var errs []error
	for range n {
		if err := <-s.served; err != nil && !errors.Is(err, servers.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
