// Package serverstest starts upcheck's reference servers for tests, in the
// style of net/http/httptest: the constructor listens on 127.0.0.1:0 (or,
// for an unstarted server given a Host, on that host: [::1]:0) before it
// returns, so a test can dial at once and never races on readiness or fixed
// ports.
package serverstest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// Server is a reference TCP and UDP server pair listening on loopback.
type Server struct {
	// TCPAddr and UDPAddr are host:port of the listening sockets, "" for a
	// protocol that is not served.
	TCPAddr, UDPAddr string
	// Host is the address Start listens on, 127.0.0.1 when "": set it
	// before Start on a server from NewUnstartedServer, "::1" for IPv6.
	Host string
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

// DefaultHost is where Start listens when Host is "".
const DefaultHost = "127.0.0.1"

// Start binds Host:0 (127.0.0.1:0 by default) for each configured server and
// serves on it. The addresses are set, and the sockets accept traffic, when
// Start returns. It panics when Host cannot be bound (no IPv6 on the
// machine, say).
func (s *Server) Start() {
	if s.served != nil {
		panic("serverstest: Server already started")
	}
	host := s.Host
	if host == "" {
		host = DefaultHost
	}
	local := net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "0")
	// Both sockets are bound before anything is served, so that a failure
	// leaves nothing running and nothing for Close to wait for.
	var ln net.Listener
	var pc net.PacketConn
	var err error
	if s.TCP != nil {
		if ln, err = servers.Listen(local); err != nil {
			panic(fmt.Sprintf("serverstest: listen tcp: %v", err))
		}
	}
	if s.UDP != nil {
		if pc, err = net.ListenPacket("udp", local); err != nil {
			if ln != nil {
				ln.Close()
			}
			panic(fmt.Sprintf("serverstest: listen udp: %v", err))
		}
	}
	s.served = make(chan error, 2)
	if ln != nil {
		s.TCPAddr = ln.Addr().String()
		go func() { s.served <- s.TCP.Serve(ln) }()
	}
	if pc != nil {
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
