//go:build !linux || 386

package servers

import "net"

// newDatagramConn returns the way a UDP worker reads and answers on pc:
// through the net.PacketConn methods, which cannot tell whether a datagram
// was queued, so a worker always hands the turn on before it replies. See
// the Linux version.
func newDatagramConn(pc net.PacketConn) datagramConn {
	uc, _ := pc.(*net.UDPConn)
	return &netDatagramConn{pc: pc, uc: uc}
}
