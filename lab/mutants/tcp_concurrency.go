package mutants

import (
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// echoUpper is the correct per-connection loop, for the mutants whose fault
// lies elsewhere: read up to 1024 bytes, write their uppercase, close on
// EOF or any error.
func echoUpper(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		servers.UpperASCII(buf[:n])
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// Serial returns a TCP server that handles each connection in its accept
// loop, without a goroutine: socketserver.TCPServer where the seed uses
// ThreadingTCPServer. One client at a time is served; the next waits,
// connected but unanswered, until the first closes. It breaks
// TCP-CONCURRENT.
func Serial() *Mutant {
	return &Mutant{
		Name:   "Serial",
		Breaks: []string{"TCP-CONCURRENT"},
		Bug:    "handles each connection inside the accept loop, so a second client waits until the first one closes",
		tcp: func(p *proc, ln net.Listener) error {
			for {
				c, err := ln.Accept()
				if err != nil {
					return err
				}
				echoUpper(c)
			}
		},
	}
}

// LockedRead returns a TCP server with a goroutine per connection that
// takes a global mutex around each read and reply, to keep a shared byte
// counter consistent. The lock is held while the handler waits in Read, so a
// client that holds its connection idle stops every other client, which
// looks concurrent otherwise. It breaks TCP-CONCURRENT.
func LockedRead() *Mutant {
	return &Mutant{
		Name:   "LockedRead",
		Breaks: []string{"TCP-CONCURRENT"},
		Bug:    "holds a global mutex across Read and Write to guard a byte counter, so one idle client blocks every other",
		tcp: func(p *proc, ln net.Listener) error {
			var mu sync.Mutex
			var served int64
			return serveEach(func(p *proc, c net.Conn) {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					mu.Lock()
					n, err := c.Read(buf)
					if err == nil {
						served += int64(n)
						servers.UpperASCII(buf[:n])
						_, err = c.Write(buf[:n])
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			})(p, ln)
		},
	}
}

// RouteByIP returns a TCP server that keeps its sessions in a map keyed by
// the client's IP address without the port, and writes each reply to the
// session's connection. Every loopback client has the same IP, so each
// reply goes to the client that connected last. One client at a time works
// perfectly. It breaks TCP-ISOLATION.
func RouteByIP() *Mutant {
	return &Mutant{
		Name:   "RouteByIP",
		Breaks: []string{"TCP-ISOLATION"},
		Bug:    "keys client sessions by IP address without the port, so replies go to whichever connection from that IP came last",
		tcp: func(p *proc, ln net.Listener) error {
			var mu sync.Mutex
			sessions := make(map[string]net.Conn) // client IP -> connection
			for {
				c, err := ln.Accept()
				if err != nil {
					return err
				}
				ip, _, _ := net.SplitHostPort(c.RemoteAddr().String())
				mu.Lock()
				sessions[ip] = c
				mu.Unlock()
				p.Go(func() {
					defer c.Close()
					buf := make([]byte, 1024)
					for {
						n, err := c.Read(buf)
						if err != nil {
							return
						}
						servers.UpperASCII(buf[:n])
						mu.Lock()
						out := sessions[ip]
						mu.Unlock()
						if _, err := out.Write(buf[:n]); err != nil {
							return
						}
					}
				})
			}
		},
	}
}

// connLimit is ConnLimitLeak's bound on connections.
const connLimit = 1000

// ConnLimitLeak returns a TCP server that guards against too many
// connections with a counter incremented on every accept and checked
// against 1000, but never decremented when a connection ends: after 1000
// connections in all, however short, every new one is closed at once,
// unanswered. It breaks TCP-CHURN.
func ConnLimitLeak() *Mutant {
	return &Mutant{
		Name:   "ConnLimitLeak",
		Breaks: []string{"TCP-CHURN"},
		Bug:    "counts connections against a limit of 1000 on accept but never decrements the count when one closes",
		tcp: func(p *proc, ln net.Listener) error {
			open := 0
			for {
				c, err := ln.Accept()
				if err != nil {
					return err
				}
				if open >= connLimit {
					c.Close() // too many connections
					continue
				}
				open++
				p.Go(func() { echoUpper(c) })
			}
		},
	}
}
