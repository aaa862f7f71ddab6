package mutants

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/servers"
)

// UDPFirstPeer returns a UDP server written for one client: it remembers
// the address of the first datagram it receives and sends every reply
// there. The first client works; any other gets no reply, and its replies
// land on the first. It breaks UDP-ROUNDTRIP and UDP-CONCURRENT.
func UDPFirstPeer() *Mutant {
	return &Mutant{
		Name:   "UDPFirstPeer",
		Breaks: []string{"UDP-ROUNDTRIP", "UDP-CONCURRENT"},
		Bug:    "remembers the first client's address and sends every reply there, whoever sent the datagram",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			var client net.Addr
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				if client == nil {
					client = from
				}
				servers.UpperASCII(buf[:n])
				pc.WriteTo(buf[:n], client)
			}
		},
	}
}

// UDPUnicodeUpper returns a UDP server that uppercases each datagram with
// bytes.ToUpper: Unicode rules, invalid UTF-8 rewritten as U+FFFD. It
// breaks UDP-BYTES.
func UDPUnicodeUpper() *Mutant {
	return &Mutant{
		Name:   "UDPUnicodeUpper",
		Breaks: []string{"UDP-BYTES"},
		Bug:    "uppercases each datagram with bytes.ToUpper, which applies Unicode case rules and rewrites invalid UTF-8",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				pc.WriteTo(bytes.ToUpper(buf[:n]), from)
			}
		},
	}
}

// UDPSkipEmpty returns a UDP server that skips zero-length datagrams, taking
// an empty read for "nothing arrived" as in a TCP loop: an empty datagram is
// a datagram and gets no reply. It breaks UDP-EMPTY.
func UDPSkipEmpty() *Mutant {
	return &Mutant{
		Name:   "UDPSkipEmpty",
		Breaks: []string{"UDP-EMPTY"},
		Bug:    "skips zero-length datagrams with if n == 0 { continue }, so they get no reply",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				if n == 0 {
					continue
				}
				servers.UpperASCII(buf[:n])
				pc.WriteTo(buf[:n], from)
			}
		},
	}
}

// UDPSmallBuffer returns a UDP server that reads into a 1024-byte buffer,
// the seed client's recvfrom(1024) copied into a server: datagrams longer
// than 1024 bytes come back cut to 1024, below the declared maximum of
// 8192. It breaks UDP-SIZE.
func UDPSmallBuffer() *Mutant {
	return &Mutant{
		Name:   "UDPSmallBuffer",
		Breaks: []string{"UDP-SIZE"},
		Bug:    "reads datagrams into a 1024-byte buffer, as the seed client's recvfrom(1024), truncating below the declared 8192",
		udp:    truncatingUDP(1024),
	}
}

// UDPOffByOneMax returns a UDP server that reads into len(buf)-1 bytes of
// its 8192-byte buffer, keeping the last byte for a terminating NUL as C
// code does: a datagram of exactly the maximum comes back one byte short.
// It breaks UDP-SIZE.
func UDPOffByOneMax() *Mutant {
	return &Mutant{
		Name:   "UDPOffByOneMax",
		Breaks: []string{"UDP-SIZE"},
		Bug:    "reads into buf[:len(buf)-1] to keep room for a NUL, so a datagram of exactly 8192 bytes loses its last byte",
		udp:    truncatingUDP(8192 - 1),
	}
}

// UDPNoTruncate returns a UDP server that reads into a 65535-byte buffer,
// "big enough for any datagram", ignoring the maximum it declares (8192):
// datagrams over 8192 bytes come back whole instead of truncated. It
// breaks UDP-SIZE.
func UDPNoTruncate() *Mutant {
	return &Mutant{
		Name:   "UDPNoTruncate",
		Breaks: []string{"UDP-SIZE"},
		Bug:    "reads into a 65535-byte buffer, so datagrams over the declared maximum of 8192 come back whole instead of truncated",
		udp:    truncatingUDP(65535),
	}
}

// truncatingUDP is a correct UDP loop but for its read size.
func truncatingUDP(size int) udpLoop {
	return func(p *proc, pc net.PacketConn) error {
		buf := make([]byte, size)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return err
			}
			servers.UpperASCII(buf[:n])
			pc.WriteTo(buf[:n], from)
		}
	}
}

// UDPNewSocket returns a UDP server that answers through a new socket
// dialed to the client, as if a reply were a connection: the reply comes
// from a new ephemeral port, not the one the client sent to, and a
// connected client (which accepts only its peer's datagrams) never sees it.
// It breaks UDP-SOURCE.
func UDPNewSocket() *Mutant {
	return &Mutant{
		Name:   "UDPNewSocket",
		Breaks: []string{"UDP-SOURCE"},
		Bug:    "sends each reply from a new socket dialed to the client, so it comes from another port than the one the client used",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				out, err := net.DialUDP("udp", nil, from.(*net.UDPAddr))
				if err != nil {
					continue
				}
				servers.UpperASCII(buf[:n])
				out.Write(buf[:n])
				out.Close()
			}
		},
	}
}

// UDPTwice returns a UDP server that sends every reply twice, in case one
// is lost. It breaks UDP-ONCE.
func UDPTwice() *Mutant {
	return &Mutant{
		Name:   "UDPTwice",
		Breaks: []string{"UDP-ONCE"},
		Bug:    "sends every reply twice in case one is lost",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				servers.UpperASCII(buf[:n])
				for range 2 {
					pc.WriteTo(buf[:n], from)
				}
			}
		},
	}
}

// UDPFullBuffer returns a UDP server that sends its whole 8192-byte buffer
// instead of the n bytes read: every reply is 8192 bytes, the uppercased
// payload followed by zeros and leftovers of earlier datagrams, other
// clients' included. It breaks UDP-ONCE (a reply larger than its request),
// UDP-ROUNDTRIP and UDP-EMPTY.
func UDPFullBuffer() *Mutant {
	return &Mutant{
		Name:   "UDPFullBuffer",
		Breaks: []string{"UDP-ONCE", "UDP-ROUNDTRIP", "UDP-EMPTY"},
		Bug:    "sends buf instead of buf[:n], so every reply is 8192 bytes long",
		udp: func(p *proc, pc net.PacketConn) error {
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				servers.UpperASCII(buf[:n])
				pc.WriteTo(buf, from)
			}
		},
	}
}

// UDPLastPeer returns a UDP server that, as the seed's ThreadingUDPServer,
// handles each datagram in its own goroutine, but keeps the client address
// in a field of the server, written by the reader: when datagrams from
// several clients arrive together, the handlers that run after the next
// read reply to the last sender, which gets other clients' replies while
// they get none. One client at a time works. It breaks UDP-CONCURRENT.
func UDPLastPeer() *Mutant {
	return &Mutant{
		Name:   "UDPLastPeer",
		Breaks: []string{"UDP-CONCURRENT"},
		Bug:    "stores the sender in a shared field that the per-datagram goroutine reads later, so replies go to whoever sent last",
		udp: func(p *proc, pc net.PacketConn) error {
			var mu sync.Mutex
			var client net.Addr
			for {
				buf := make([]byte, 8192)
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				mu.Lock()
				client = from
				mu.Unlock()
				p.Go(func() {
					servers.UpperASCII(buf[:n])
					mu.Lock()
					to := client
					mu.Unlock()
					pc.WriteTo(buf[:n], to)
				})
			}
		},
	}
}

// UDPDieOnOversize returns a UDP server that reads with ReadMsgUDP and
// returns from its serve loop with an error when the kernel flags a
// datagram as truncated (MSG_TRUNC), treating "too large" as fatal: one
// datagram over 8192 bytes ends the server. It breaks UDP-SURVIVE and
// UDP-SIZE.
func UDPDieOnOversize() *Mutant {
	return &Mutant{
		Name:   "UDPDieOnOversize",
		Breaks: []string{"UDP-SURVIVE", "UDP-SIZE"},
		Bug:    "returns an error from its serve loop when a datagram is truncated (MSG_TRUNC), so one oversized datagram ends the server",
		udp: func(p *proc, pc net.PacketConn) error {
			uc, ok := pc.(*net.UDPConn)
			if !ok {
				return fmt.Errorf("not a UDP socket: %T", pc)
			}
			buf := make([]byte, 8192)
			for {
				n, _, flags, from, err := uc.ReadMsgUDP(buf, nil)
				if err != nil {
					return err
				}
				if flags&syscall.MSG_TRUNC != 0 {
					return fmt.Errorf("datagram larger than %d bytes", len(buf))
				}
				servers.UpperASCII(buf[:n])
				uc.WriteTo(buf[:n], from)
			}
		},
	}
}

// fixedLogSize is how many datagrams UDPFixedLog answers in its lifetime.
const fixedLogSize = 2048

// UDPFixedLog returns a UDP server that records every datagram in a fixed
// array of 2048 entries for its statistics and drops the datagram when the
// array is full, an error path nobody tested: after 2048 datagrams in all,
// from any clients, it answers nothing more. It breaks UDP-SURVIVE.
func UDPFixedLog() *Mutant {
	return &Mutant{
		Name:   "UDPFixedLog",
		Breaks: []string{"UDP-SURVIVE"},
		Bug:    "logs each datagram into a fixed array of 2048 entries and drops every datagram once the array is full",
		udp: func(p *proc, pc net.PacketConn) error {
			type entry struct {
				from net.Addr
				size int
				at   time.Time
			}
			var log [fixedLogSize]entry
			used := 0
			buf := make([]byte, 8192)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return err
				}
				if used == len(log) {
					continue // request log full
				}
				log[used] = entry{from: from, size: n, at: time.Now()}
				used++
				servers.UpperASCII(buf[:n])
				pc.WriteTo(buf[:n], from)
			}
		},
	}
}
