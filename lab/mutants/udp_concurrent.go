package mutants

import (
	"net"
	"sync"

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
			var client net.Addr
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if client == nil {
					client = from
				}
				servers.UpperASCII(data)
				pc.WriteTo(data, client)
			})
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

// UDPPreviousPeer returns a UDP server that keeps the client's address in
// a variable it updates only after replying: each reply goes to the sender
// of the datagram before. A single client, whose datagrams all come from one
// port, sees nothing wrong; with several, each gets another's replies. It
// breaks UDP-CONCURRENT.
func UDPPreviousPeer() *Mutant {
	return &Mutant{
		Name:   "UDPPreviousPeer",
		Breaks: []string{"UDP-CONCURRENT"},
		Bug:    "updates the saved client address after sending the reply, so each reply goes to the previous datagram's sender",
		udp: func(p *proc, pc net.PacketConn) error {
			var client net.Addr
			return eachDatagram(pc, 8192, func(data []byte, from net.Addr) {
				if client == nil {
					client = from
				}
				servers.UpperASCII(data)
				pc.WriteTo(data, client)
				client = from
			})
		},
	}
}
