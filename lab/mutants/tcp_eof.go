package mutants

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/upcheck/upcheck/servers"
)

// NoCloseOnEOF returns a TCP server that keeps every connection in a
// registry, meant to close them all at shutdown, and takes them out and
// closes them only when a read fails. On the empty read (EOF) the handler
// just returns: every reply has been sent, but the connection stays open
// and the client never sees the end of the stream. It breaks TCP-EOF.
func NoCloseOnEOF() *Mutant {
	return &Mutant{
		Name:   "NoCloseOnEOF",
		Breaks: []string{"TCP-EOF"},
		Bug:    "returns from the handler on EOF without closing the connection, which stays open in the server's client registry",
		tcp: func(p *proc, ln net.Listener) error {
			var mu sync.Mutex
			clients := make(map[net.Conn]bool)
			drop := func(c net.Conn) {
				mu.Lock()
				delete(clients, c)
				mu.Unlock()
				c.Close()
			}
			for {
				c, err := ln.Accept()
				if err != nil {
					return err
				}
				mu.Lock()
				clients[c] = true
				mu.Unlock()
				p.Go(func() {
					buf := make([]byte, 1024)
					for {
						n, err := c.Read(buf)
						if err == io.EOF {
							return // the client is done
						}
						if err != nil {
							drop(c)
							return
						}
						servers.UpperASCII(buf[:n])
						if _, err := c.Write(buf[:n]); err != nil {
							drop(c)
							return
						}
					}
				})
			}
		},
	}
}

// ResetOnEOF returns a TCP server that sets SO_LINGER to 0 on every
// connection, to spare the server TIME_WAIT sockets. Every reply is sent,
// but its close after the client's EOF is an abortive one: the client sees
// a reset, not an orderly end. It breaks TCP-EOF.
func ResetOnEOF() *Mutant {
	return &Mutant{
		Name:   "ResetOnEOF",
		Breaks: []string{"TCP-EOF"},
		Bug:    "sets SetLinger(0) to avoid TIME_WAIT, so closing after the client's EOF sends a reset instead of a FIN",
		tcp: serveEach(func(p *proc, c net.Conn) {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
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
		}),
	}
}

// tickerFlushPeriod is how often TickerFlush writes the replies it batched.
const tickerFlushPeriod = 50 * time.Millisecond

// TickerFlush returns a TCP server that batches replies to save system
// calls: the reader appends each uppercased chunk to a pending buffer and a
// writer goroutine sends it every 50 ms. On EOF the handler closes the
// connection at once, without a last flush, so whatever was still pending
// is lost: a client that writes and half-closes at once gets none of its
// reply, only an orderly EOF. Replies do come, within 50 ms, to a client that
// waits. It breaks TCP-EOF and TCP-STREAM (the tail of every half-closed
// stream).
func TickerFlush() *Mutant {
	return &Mutant{
		Name:   "TickerFlush",
		Breaks: []string{"TCP-EOF", "TCP-STREAM"},
		Bug:    "flushes batched replies every 50 ms from a writer goroutine and closes on EOF without a final flush, losing the tail",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			var mu sync.Mutex
			var pending []byte
			stop := make(chan struct{})
			p.Go(func() {
				t := time.NewTicker(tickerFlushPeriod)
				defer t.Stop()
				for {
					select {
					case <-t.C:
					case <-stop:
						return
					case <-p.Done():
						return
					}
					mu.Lock()
					out := pending
					pending = nil
					mu.Unlock()
					if len(out) == 0 {
						continue
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			})
			defer close(stop)
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				mu.Lock()
				pending = servers.AppendUpperASCII(pending, buf[:n])
				mu.Unlock()
			}
		}),
	}
}
