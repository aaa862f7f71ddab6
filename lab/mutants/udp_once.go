package mutants

import (
	"net"

	"github.com/upcheck/upcheck/servers"
)

// UDPTwice returns a UDP server that sends every reply twice, in case one
// is lost. It breaks UDP-ONCE.
func UDPTwice() *Mutant {
	return &Mutant{
		Name:   "UDPTwice",
		Breaks: []string{"UDP-ONCE"},
		Bug:    "sends every reply twice in case one is lost",
		udp: func(p *proc, pc net.PacketConn) error {
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				servers.UpperASCII(data)
				for range 2 {
					pc.WriteTo(data, from)
				}
			})
		},
	}
}

// greeting is what UDPGreeting sends before every reply.
const greeting = "\x00\x01 hi there"

// UDPGreeting returns a UDP server that greets its client before every
// reply, as a TCP server sends a banner to each new connection: each
// datagram is answered by two. It breaks UDP-ONCE.
func UDPGreeting() *Mutant {
	return &Mutant{
		Name:   "UDPGreeting",
		Breaks: []string{"UDP-ONCE"},
		Bug:    "sends a greeting datagram before every reply, as a TCP server greets each connection",
		udp: func(p *proc, pc net.PacketConn) error {
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				pc.WriteTo([]byte(greeting), from)
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
			})
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

// UDPStaleTail returns a UDP server that builds each reply in one buffer,
// grown to fit the longest datagram so far and never shrunk, and sends the
// whole buffer: a datagram shorter than an earlier one comes back with the
// earlier reply's tail after its own uppercase. The first datagram, and any
// as long as every one before it, is answered correctly. It breaks UDP-ONCE
// (a reply larger than its request) and UDP-ROUNDTRIP.
func UDPStaleTail() *Mutant {
	return &Mutant{
		Name:   "UDPStaleTail",
		Breaks: []string{"UDP-ONCE", "UDP-ROUNDTRIP"},
		Bug:    "reuses a reply buffer grown to the longest datagram and sends all of it, so shorter replies carry an earlier reply's tail",
		udp: func(p *proc, pc net.PacketConn) error {
			var reply []byte
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if len(data) > len(reply) {
					reply = append(reply, make([]byte, len(data)-len(reply))...)
				}
				copy(reply, data)
				servers.UpperASCII(reply[:len(data)])
				pc.WriteTo(reply, from)
			})
		},
	}
}
