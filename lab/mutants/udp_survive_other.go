//go:build !linux

package mutants

import (
	"errors"
	"net"
)

// reportICMPErrors needs Linux's IP_RECVERR.
func reportICMPErrors(pc net.PacketConn) error {
	return errors.New("reporting ICMP errors on a UDP socket needs Linux's IP_RECVERR")
}
