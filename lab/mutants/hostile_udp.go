package mutants

import (
	"fmt"
	"net"

	"github.com/upcheck/upcheck/servers"
)

// Mute returns a UDP server that reads every datagram and never answers.
// It is hostile.
func Mute() *Mutant {
	return &Mutant{
		Name:    "Mute",
		Purpose: "every UDP check ends by its own deadline when no datagram is ever answered",
		Bug:     "reads every datagram and never answers",
		udp: func(p *proc, pc net.PacketConn) error {
			return eachDatagram(pc, 1<<16, func([]byte, net.Addr) {})
		},
	}
}

// MuteAfter returns a UDP server that answers the first n datagrams it
// reads as the reference does and reads every later one without answering,
// as a server that hangs mid-run. It is hostile.
func MuteAfter(n int) *Mutant {
	return &Mutant{
		Name:    "MuteAfter",
		Purpose: "a UDP server that stops answering mid-run gets a verdict in time, and a fuzzing run keeps its time",
		Bug:     muteAfterBug(n),
		udp: func(p *proc, pc net.PacketConn) error {
			read := 0
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if read++; read <= n {
					servers.UpperASCII(data)
					pc.WriteTo(data, from)
				}
			})
		},
	}
}

func muteAfterBug(n int) string {
	if n == 1 {
		return "answers the first datagram it reads and none after it"
	}
	return fmt.Sprintf("answers the first %d datagrams it reads and none after them", n)
}

// The flood Flood sends after each reply: 640 KiB, more than a client
// socket's receive buffer holds by default.
const (
	floodCount = 20
	floodSize  = 32 << 10
)

// Flood returns a UDP server that answers every datagram with its
// uppercase, then with 20 datagrams of 32 KiB. It is hostile.
func Flood() *Mutant {
	return &Mutant{
		Name:    "Flood",
		Purpose: "every UDP check reads no more than its cap, and ends in time, under a flood of replies",
		Bug:     "answers every datagram, then sends 20 more datagrams of 32 KiB each",
		udp: func(p *proc, pc net.PacketConn) error {
			flood := make([]byte, floodSize)
			for i := range flood {
				flood[i] = 'F'
			}
			return eachDatagram(pc, 1<<16, func(data []byte, from net.Addr) {
				servers.UpperASCII(data)
				pc.WriteTo(data, from)
				for range floodCount {
					pc.WriteTo(flood, from)
				}
			})
		},
	}
}
