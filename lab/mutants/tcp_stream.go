package mutants

import (
	"net"

	"github.com/upcheck/upcheck/servers"
)

// WholeBuffer returns a TCP server that answers each read with its whole
// 1024-byte buffer instead of the n bytes read: every reply is the
// uppercased chunk followed by whatever the buffer held before (zeros, then
// the tail of an earlier chunk). A one-shot client that reads exactly as
// many bytes as it sent sees nothing wrong. It breaks TCP-STREAM, and
// TCP-ROUNDTRIP from the second exchange on a connection.
func WholeBuffer() *Mutant {
	return &Mutant{
		Name:   "WholeBuffer",
		Breaks: []string{"TCP-STREAM", "TCP-ROUNDTRIP"},
		Bug:    "writes buf instead of buf[:n], so each reply carries the rest of the 1024-byte buffer after the chunk",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				servers.UpperASCII(buf[:n])
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}),
	}
}

// DropFullRead returns a TCP server that takes a read filling its whole
// 1024-byte buffer for a message too long to handle and drops it, so a
// stream loses every chunk that arrives 1024 bytes at a time. Short
// requests work. It breaks TCP-STREAM and TCP-ROUNDTRIP (a 1024-byte
// request gets no reply).
func DropFullRead() *Mutant {
	return &Mutant{
		Name:   "DropFullRead",
		Breaks: []string{"TCP-STREAM", "TCP-ROUNDTRIP"},
		Bug:    "treats a read that fills the whole 1024-byte buffer as an oversized message and drops it",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if n == len(buf) {
					// The message may not have fitted: refuse it
					// rather than answer part of it.
					continue
				}
				servers.UpperASCII(buf[:n])
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}),
	}
}
