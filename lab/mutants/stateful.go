package mutants

import (
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// The stateful mutants: each fault needs a sequence no spec of the suites
// makes (two reads in a given order, datagrams in a given order from one
// source, connections in a given arrangement, errors in a row), so only a
// fuzzer that draws sequences finds it.

// CarryUTF8Lead returns a TCP server that leaves UTF-8 sequences alone as
// it uppercases, and carries a three-byte lead byte (0xe0-0xef) that ends
// one read over to the next: it passes the next read's first two bytes
// through as that sequence's continuation bytes without checking that they
// are. When a read ends in such a lead byte and the next one starts with a
// letter ("\xe0" then "z"), the letter comes back lowercase. Within one
// read, and in every stream the suites send, nothing goes wrong. It breaks
// TCP-STREAM (the reply depends on how the stream was cut into reads) and
// TCP-BYTES.
func CarryUTF8Lead() *Mutant {
	return &Mutant{
		Name:   "CarryUTF8Lead",
		Breaks: []string{"TCP-STREAM", "TCP-BYTES"},
		Bug:    "carries a UTF-8 lead byte that ends one read over to the next and passes the next read's first two bytes through unchecked, so a letter after a split 0xe0 stays lowercase",
		tcp: serveEach(func(p *proc, c net.Conn) {
			defer c.Close()
			buf := make([]byte, 1024)
			owed := 0 // continuation bytes owed by a lead byte that ended the last read
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				data := buf[:n]
				i := 0
				for ; i < len(data) && owed > 0; i++ {
					owed-- // taken as a continuation byte, as it is
				}
				servers.UpperASCII(data[i:])
				if last := data[n-1]; last >= 0xe0 && last <= 0xef && i < n {
					owed = 2
				}
				if _, err := c.Write(data); err != nil {
					return
				}
			}
		}),
	}
}

// UDPSessionMute returns a UDP server with per-source session state: an
// empty datagram is a keep-alive that opens a session, and a session whose
// next datagram starts with a NUL byte is taken for a goodbye, after which
// that source (address and port) is ignored for good. Every datagram is
// answered, the empty one too, until a source sends an empty datagram and
// then one starting with 0x00: from then on nothing it sends is answered.
// It breaks UDP-ROUNDTRIP.
func UDPSessionMute() *Mutant {
	return &Mutant{
		Name:   "UDPSessionMute",
		Breaks: []string{"UDP-ROUNDTRIP"},
		Bug:    "keeps per-source sessions: an empty datagram opens one, and a next datagram starting with 0x00 is taken for a goodbye that mutes the source for good",
		udp: func(p *proc, pc net.PacketConn) error {
			open := map[string]bool{}  // sources whose last datagram was empty
			muted := map[string]bool{} // sources that said goodbye
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				src := from.String()
				if muted[src] {
					return
				}
				if open[src] {
					delete(open, src)
					if len(data) > 0 && data[0] == 0x00 {
						muted[src] = true
						return
					}
				}
				if len(data) == 0 {
					open[src] = true
				}
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
			})
		},
	}
}

// scanGuardOthers is how many other silent connections must be open for
// ScanGuardReset to take a silent one that ends for a port scan.
const scanGuardOthers = 2

// ScanGuardReset returns a TCP server with a guard against port scans,
// which open several connections at once and close them without a byte: a
// connection that ends (the client half-closes) without having sent
// anything, while at least two other open connections have not sent a byte
// either, is taken for a scanner's probe and aborted with a reset instead
// of closed. Its client gets a reset instead of EOF. It takes three silent
// connections at once, one of which half-closes, which no spec makes: the
// suites' silent half-close is on a connection of its own, and their
// connections that run three or more at once all write before they end.
// It breaks TCP-EOF.
func ScanGuardReset() *Mutant {
	return &Mutant{
		Name:   "ScanGuardReset",
		Breaks: []string{"TCP-EOF"},
		Bug:    "takes a connection that half-closes without sending a byte, while two other open ones have sent nothing either, for a port scanner's probe and resets it",
		tcp: func(p *proc, ln net.Listener) error {
			var mu sync.Mutex
			silent := 0 // open connections that have not sent a byte
			for {
				c, err := ln.Accept()
				if err != nil {
					return err
				}
				mu.Lock()
				silent++
				mu.Unlock()
				p.Go(func() {
					heard := false
					hear := func() {
						mu.Lock()
						silent--
						mu.Unlock()
						heard = true
					}
					defer func() {
						if !heard {
							hear()
						}
						c.Close()
					}()
					buf := make([]byte, 1024)
					for {
						n, err := c.Read(buf)
						if n > 0 && !heard {
							hear()
						}
						if err == io.EOF && !heard {
							mu.Lock()
							others := silent - 1
							mu.Unlock()
							if others >= scanGuardOthers {
								if tc, ok := c.(*net.TCPConn); ok {
									tc.SetLinger(0) // a scanner's probe: abort
								}
							}
						}
						if err != nil {
							return
						}
						servers.UpperASCII(buf[:n])
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
				})
			}
		},
	}
}

// dieOnThirdResetCounted, set only by tests before the mutant starts, is
// called each time DieOnThirdReset has counted how a connection ended: the
// signal that orders the test's connections as the server sees them.
var dieOnThirdResetCounted func()

// dieAfterErrors is how many connections in a row DieOnThirdReset lets end
// in an error before it exits.
const dieAfterErrors = 3

// DieOnThirdReset returns a TCP server that takes connections ending in an
// error (a reset, or a write to a client that vanished) for a sign of a
// broken network: when three end so in a row, with no orderly end between
// them, it exits to be restarted by its supervisor. One reset, or many
// among orderly connections, as every spec makes them, is survived. It
// breaks TCP-RESET and TCP-DISCONNECT, and TCP-STREAM for the connections
// still open when it exits.
func DieOnThirdReset() *Mutant {
	return &Mutant{
		Name:   "DieOnThirdReset",
		Breaks: []string{"TCP-RESET", "TCP-DISCONNECT", "TCP-STREAM"},
		Bug:    "exits when three connections in a row end in a reset or a failed write, taking them for a broken network",
		tcp: func(p *proc, ln net.Listener) error {
			var mu sync.Mutex
			inARow := 0
			died := make(chan error, 1)
			ended := func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					inARow = 0
					return
				}
				if inARow++; inARow == dieAfterErrors {
					died <- fmt.Errorf("%d connections in a row ended in an error, the last: %w", inARow, err)
				}
			}
			counted := func(err error) {
				ended(err)
				if dieOnThirdResetCounted != nil {
					dieOnThirdResetCounted()
				}
			}
			handle := func(c net.Conn) error {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
					servers.UpperASCII(buf[:n])
					if _, err := c.Write(buf[:n]); err != nil {
						return err
					}
				}
			}
			p.Go(func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					p.Go(func() { counted(handle(c)) })
				}
			})
			select {
			case err := <-died:
				return err
			case <-p.Done():
				return nil
			}
		},
	}
}
