package servers

import (
	"net"
	"syscall"
	"testing"
)

// recvErr sets IP_RECVERR on c, so that the ICMP port unreachable a reply
// provokes reaches c's next read as ECONNREFUSED, as it does on every
// socket on Windows (WSAECONNRESET, socketserver's ConnectionResetError).
// Without it Linux reports such errors only on connected sockets. It
// reports whether it could.
func recvErr(t *testing.T, c *net.UDPConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVERR, 1)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	return true
}
