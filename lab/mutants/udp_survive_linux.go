package mutants

import (
	"fmt"
	"net"
	"syscall"
)

// reportICMPErrors sets IP_RECVERR on pc, so that an ICMP error a datagram
// provokes is reported by the socket's next read.
func reportICMPErrors(pc net.PacketConn) error {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return fmt.Errorf("not a socket: %T", pc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVERR, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setsockopt IP_RECVERR: %w", serr)
	}
	return nil
}
