package mutants

import (
	"bytes"
	"net"

	"github.com/upcheck/upcheck/servers"
)

// eachDatagram is the usual UDP serve loop: it reads each datagram into a
// buffer of size bytes and hands it to handle, until a read fails. The UDP
// servers whose bug is in what they do with a datagram share it; state a
// handler keeps across datagrams lives in its udpLoop, so that every start
// begins afresh.
func eachDatagram(pc net.PacketConn, size int, handle func(data []byte, from net.Addr)) error {
	buf := make([]byte, size)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		handle(buf[:n], from)
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
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				pc.WriteTo(bytes.ToUpper(data), from)
			})
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
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if len(data) == 0 {
					return
				}
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
			})
		},
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
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				out, err := net.DialUDP("udp", nil, from.(*net.UDPAddr))
				if err != nil {
					return
				}
				servers.UpperASCII(data)
				out.Write(data)
				out.Close()
			})
		},
	}
}

// UDPNeverServed returns a UDP server that binds its port but never reads
// from it, as when the goroutine meant to serve the socket is never
// started: every datagram waits in the socket's buffer, unanswered, while
// the TCP side is served. It breaks UDP-ROUNDTRIP, and with it every UDP
// rule: each needs replies, and a side that never answers fails them all
// with what the start-up probe saw (SEMANTICS.md, "How the harness reaches
// a target").
func UDPNeverServed() *Mutant {
	return &Mutant{
		Name:   "UDPNeverServed",
		Breaks: []string{"UDP-ROUNDTRIP", "UDP-BYTES", "UDP-EMPTY", "UDP-SIZE", "UDP-SOURCE", "UDP-ONCE", "UDP-CONCURRENT", "UDP-SURVIVE"},
		Bug:    "binds the UDP socket but never starts the loop that reads and answers it",
		udp: func(p *proc, pc net.PacketConn) error {
			<-p.Done()
			return nil
		},
	}
}
