package mutants

import (
	"bufio"
	"io"
	"net"

	"github.com/upcheck/upcheck/servers"
)

// LineBuffered returns a TCP server that reads lines with
// bufio.Reader.ReadBytes('\n') and answers each whole line: bytes without a
// newline wait, unanswered, until a newline or the end of the stream comes.
// Everything is answered in the end and the close is orderly, so only a
// client that waits for its reply sees the fault. It breaks TCP-ROUNDTRIP.
func LineBuffered() *Mutant {
	return &Mutant{
		Name:   "LineBuffered",
		Breaks: []string{"TCP-ROUNDTRIP"},
		Bug:    "reads line by line with bufio.Reader.ReadBytes('\\n'), so bytes without a newline get no reply until more arrive",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadBytes('\n')
				if len(line) > 0 {
					servers.UpperASCII(line)
					if _, err := c.Write(line); err != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}),
	}
}

// FillBuffer returns a TCP server that reads with io.ReadFull into its
// 1024-byte buffer, taking the seed's recv(1024) for "1024 bytes": it
// answers only once 1024 bytes have arrived, or at the end of the stream.
// A request of exactly 1024 bytes, and a half-closed stream, come back
// whole. It breaks TCP-ROUNDTRIP.
func FillBuffer() *Mutant {
	return &Mutant{
		Name:   "FillBuffer",
		Breaks: []string{"TCP-ROUNDTRIP"},
		Bug:    "reads with io.ReadFull(conn, buf[:1024]), so a request shorter than 1024 bytes waits for more instead of being answered",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			for {
				n, err := io.ReadFull(c, buf)
				if n > 0 {
					servers.UpperASCII(buf[:n])
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}),
	}
}

// BufferUntilEOF returns a TCP server that reads the whole request stream
// with io.ReadAll and answers it in one write once the client has
// half-closed, as a filter behind a pipe does (socat TCP-LISTEN with
// EXEC:'tr a-z A-Z', whose tr writes only when its input ends): the reply
// is right and the close orderly, but nothing comes back while the client
// waits. It breaks TCP-ROUNDTRIP.
func BufferUntilEOF() *Mutant {
	return &Mutant{
		Name:   "BufferUntilEOF",
		Breaks: []string{"TCP-ROUNDTRIP"},
		Bug:    "reads the whole stream with io.ReadAll and answers only after the client's EOF, like a tr filter behind socat",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			all, err := io.ReadAll(c)
			if err != nil {
				return
			}
			servers.UpperASCII(all)
			c.Write(all)
		}),
	}
}
