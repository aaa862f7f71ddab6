package mutants

import (
	"net"

	"github.com/upcheck/upcheck/servers"
)

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
		return eachDatagram(pc, size, func(data []byte, from net.Addr) {
			servers.UpperASCII(data)
			pc.WriteTo(data, from)
		})
	}
}
