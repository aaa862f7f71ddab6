package mutants

import (
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/servers"
)

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
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if used == len(log) {
					return // request log full
				}
				log[used] = entry{from: from, size: len(data), at: time.Now()}
				used++
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
			})
		},
	}
}

// UDPDieOnUnreachable returns a UDP server that ends at its first read
// error, on a socket that reports ICMP errors (IP_RECVERR), as every UDP
// socket does on Windows: a reply to a port that has closed comes back as
// "port unreachable", the next read fails with it, and the server is gone.
// The seed's server survives this only through its except
// ConnectionResetError. It breaks UDP-SURVIVE.
func UDPDieOnUnreachable() *Mutant {
	return &Mutant{
		Name:   "UDPDieOnUnreachable",
		Breaks: []string{"UDP-SURVIVE"},
		Bug:    "treats every read error as fatal on a socket that reports ICMP errors, so a reply to a closed port ends the server",
		udp: func(p *proc, pc net.PacketConn) error {
			if err := reportICMPErrors(pc); err != nil {
				return err
			}
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
			})
		},
	}
}
