package mutants

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/upcheck/upcheck/servers"
)

// NeverAccept returns a TCP server that listens and never accepts: the
// kernel completes each handshake and queues the connection, and nothing
// ever reads it. It is hostile.
func NeverAccept() *Mutant {
	return &Mutant{
		Name:    "NeverAccept",
		Purpose: "every check ends by its own deadline when connections are queued and never accepted",
		Bug:     "listens and never calls Accept, so every connection waits in the kernel's queue",
		tcp: func(p *proc, ln net.Listener) error {
			<-p.Done()
			return nil
		},
	}
}

// BacklogFull returns a TCP server that listens with a backlog of one
// connection and fills it with its own: every further connect waits for a
// handshake that never completes. It needs Linux. It is hostile.
func BacklogFull() *Mutant {
	return &Mutant{
		Name:    "BacklogFull",
		Purpose: "every check ends by its own deadline when connecting never completes",
		Bug:     "listens with a backlog of one and fills it with a connection of its own, so every connect hangs in the handshake",
		listen:  listenFull,
		tcp: func(p *proc, ln net.Listener) error {
			<-p.Done()
			return nil
		},
	}
}

// listenFull listens on addr with a backlog of one and fills it.
func listenFull(addr string) (net.Listener, error) {
	ln, err := listenBacklogOne(addr)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{KeepAlive: -1, Timeout: 5 * time.Second}
	filler, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("filling the backlog: %w", err)
	}
	return &filledListener{Listener: ln, filler: filler}, nil
}

// filledListener is a listener whose backlog holds filler, closed with it.
type filledListener struct {
	net.Listener
	filler net.Conn
}

func (l *filledListener) Close() error {
	l.filler.Close()
	return l.Listener.Close()
}

// Silent returns a TCP server that accepts, reads and discards everything,
// and never answers or closes. It is hostile.
func Silent() *Mutant {
	return &Mutant{
		Name:    "Silent",
		Purpose: "every check ends by its own deadline when nothing comes back and nothing ends",
		Bug:     "reads and discards everything, and never answers or closes",
		tcp:     serveEach(silent),
	}
}

// silent reads and discards everything c sends, and holds c open until the
// server stops, whatever the client does.
func silent(p *proc, c net.Conn) {
	io.Copy(io.Discard, c)
	<-p.Done()
}

// Endless returns a TCP server that answers every connection with an
// endless stream of "A", whatever the client sends. It is hostile.
func Endless() *Mutant {
	return &Mutant{
		Name:    "Endless",
		Purpose: "every reader stops at its cap, and every check ends in time, when the server never stops sending",
		Bug:     "answers every connection with an endless stream of 'A', whatever the client sends",
		tcp:     serveEach(func(p *proc, c net.Conn) { stream(p, c, 32<<10, 0) }),
	}
}

// Trickle returns a TCP server that answers every connection with an
// endless stream of "A", one byte a millisecond: slow enough that a
// reader's cap is never reached within a check's timeout. It is hostile.
func Trickle() *Mutant {
	return &Mutant{
		Name:    "Trickle",
		Purpose: "every check ends in time when the reply comes too slowly to reach a reader's cap",
		Bug:     "answers every connection with an endless stream of 'A', one byte a millisecond",
		tcp:     serveEach(func(p *proc, c net.Conn) { stream(p, c, 1, time.Millisecond) }),
	}
}

// stream writes size bytes of "A" to c every pause until a write fails,
// and discards what the client sends.
func stream(p *proc, c net.Conn, size int, pause time.Duration) {
	defer c.Close()
	p.Go(func() { io.Copy(io.Discard, c) }) // ends when c closes
	chunk := make([]byte, size)
	for i := range chunk {
		chunk[i] = 'A'
	}
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
		if pause > 0 {
			select {
			case <-time.After(pause):
			case <-p.Done():
				return
			}
		}
	}
}

// Garbage returns a TCP server that answers each chunk with as many bytes,
// every one of them wrong. It is hostile.
func Garbage() *Mutant {
	return &Mutant{
		Name:    "Garbage",
		Purpose: "a reply with every byte wrong gives violations in clear, deterministic text",
		Bug:     "answers each chunk with as many bytes, each XORed with 0xA5, so that none is right",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				// Never the right answer: a-z would become A-Z (c^0x20),
				// everything else itself.
				for i := range buf[:n] {
					buf[i] ^= 0xA5
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}),
	}
}

// CloseAtOnce returns a TCP server that closes each connection as soon as
// it accepts it (FIN). It is hostile.
func CloseAtOnce() *Mutant {
	return &Mutant{
		Name:    "CloseAtOnce",
		Purpose: "a connection closed before any reply is a verdict on the server, not an error of the harness",
		Bug:     "closes each connection as soon as it accepts it",
		tcp:     serveEach(func(p *proc, c net.Conn) { c.Close() }),
	}
}

// ResetAtOnce returns a TCP server that resets each connection as soon as
// it accepts it (RST). It is hostile.
func ResetAtOnce() *Mutant {
	return &Mutant{
		Name:    "ResetAtOnce",
		Purpose: "a connection reset before any reply is a verdict on the server, not an error of the harness",
		Bug:     "resets each connection as soon as it accepts it",
		tcp: serveEach(func(p *proc, c net.Conn) {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}),
	}
}

// DieAfter returns a TCP server that serves as the reference until it has
// accepted n connections and dies on the next, closing every connection,
// as a server that crashes mid-run. It is hostile.
func DieAfter(n int) *Mutant {
	return &Mutant{
		Name:    "DieAfter",
		Purpose: "a server that dies mid-run is restarted and blamed on the requirement being checked",
		Bug:     fmt.Sprintf("serves as the reference until it has accepted %d connections, and dies on the next", n),
		tcp: func(p *proc, ln net.Listener) error {
			return serveFirst(ln, n, func(c net.Conn) error {
				c.Close()
				return fmt.Errorf("dying after %d connections", n)
			})
		},
	}
}

// StallAfter returns a TCP server that serves as the reference the first n
// connections it accepts and holds every later one open without a reply,
// as a server that hangs mid-run. It is hostile.
func StallAfter(n int) *Mutant {
	return &Mutant{
		Name:    "StallAfter",
		Purpose: "a server that hangs mid-run gets a verdict within the spec's timeout",
		Bug:     fmt.Sprintf("serves as the reference the first %d connections it accepts, and answers none after them", n),
		tcp: func(p *proc, ln net.Listener) error {
			return serveFirst(ln, n, func(c net.Conn) error {
				p.Go(func() { silent(p, c) })
				return nil
			})
		},
	}
}

// DeafAfter returns a TCP server that serves as the reference the first n
// connections it accepts and accepts every later one without ever reading
// from it or answering, holding it open, as a server whose reading loop
// hangs. It is hostile.
func DeafAfter(n int) *Mutant {
	return &Mutant{
		Name:    "DeafAfter",
		Purpose: "a TCP server that stops reading mid-run gets a verdict in time, and a fuzzing run keeps its time",
		Bug:     deafAfterBug(n),
		tcp: func(p *proc, ln net.Listener) error {
			return serveFirst(ln, n, func(c net.Conn) error {
				p.Go(func() {
					<-p.Done()
					c.Close()
				})
				return nil
			})
		},
	}
}

func deafAfterBug(n int) string {
	if n == 1 {
		return "serves as the reference the first connection it accepts, and reads nothing from any after it"
	}
	return fmt.Sprintf("serves as the reference the first %d connections it accepts, and reads nothing from any after them", n)
}

// serveFirst serves the first n connections ln accepts with the reference
// server and hands each later one to over; an error from over ends the
// server with it.
func serveFirst(ln net.Listener, n int, over func(net.Conn) error) error {
	ref := &servers.TCPServer{}
	err := ref.Serve(&firstListener{Listener: ln, n: n, over: over})
	ref.Close()
	return err
}

// firstListener returns the first n connections it accepts and hands the
// later ones to over.
type firstListener struct {
	net.Listener
	n, accepted int
	over        func(net.Conn) error
}

func (l *firstListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.accepted++; l.accepted <= l.n {
			return c, nil
		}
		if err := l.over(c); err != nil {
			return nil, err
		}
	}
}
