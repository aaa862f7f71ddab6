//go:build linux && !386

package servers

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// newDatagramConn returns the way a UDP worker reads and answers on pc: on
// Linux, a *net.UDPConn (or any syscall.Conn) is read and written with
// recvfrom and sendto directly, which tell whether the datagram was already
// queued and whether the reply has to wait.
func newDatagramConn(pc net.PacketConn) datagramConn {
	uc, _ := pc.(*net.UDPConn)
	generic := &netDatagramConn{pc: pc, uc: uc}
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return generic
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return generic
	}
	c := &rawDatagramConn{rc: rc}
	c.readFunc = c.recvfrom
	c.writeFunc = c.sendto
	return c
}

// rawDatagramConn reads with recvfrom(MSG_DONTWAIT) through RawConn.Read:
// the first attempt succeeds when a datagram was already queued, and only
// when none was does the runtime wait for one (queued false). It answers
// with sendto(MSG_DONTWAIT) to the very source address recvfrom returned,
// and calls blocked when the send buffer is full, before the runtime waits
// for room. No call allocates.
type rawDatagramConn struct {
	rc                  syscall.RawConn
	readFunc, writeFunc func(fd uintptr) bool // made once: RawConn takes a func

	// recvfrom's arguments and results.
	buf     []byte
	n       int
	err     error
	waited  bool
	from    syscall.RawSockaddrAny
	fromLen uint32

	// sendto's.
	p       []byte
	blocked func()
}

func (c *rawDatagramConn) read(buf []byte) (int, bool, error) {
	c.buf, c.n, c.err, c.waited = buf, 0, nil, false
	if err := c.rc.Read(c.readFunc); err != nil {
		return 0, false, err
	}
	return c.n, !c.waited, c.err
}

func (c *rawDatagramConn) recvfrom(fd uintptr) bool {
	for {
		c.fromLen = uint32(unsafe.Sizeof(c.from))
		var p unsafe.Pointer
		if len(c.buf) > 0 {
			p = unsafe.Pointer(&c.buf[0])
		}
		n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(p), uintptr(len(c.buf)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&c.from)), uintptr(unsafe.Pointer(&c.fromLen)))
		switch errno {
		case 0:
			c.n = int(n)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.waited = true
			return false // the runtime waits until the socket is readable
		}
		c.err = &net.OpError{Op: "read", Net: "udp", Err: syscall.Errno(errno)}
		return true
	}
}

func (c *rawDatagramConn) reply(p []byte, blocked func()) error {
	c.p, c.blocked, c.err = p, blocked, nil
	if err := c.rc.Write(c.writeFunc); err != nil {
		return err
	}
	return c.err
}

func (c *rawDatagramConn) sendto(fd uintptr) bool {
	for {
		var p unsafe.Pointer
		if len(c.p) > 0 {
			p = unsafe.Pointer(&c.p[0])
		}
		_, _, errno := syscall.Syscall6(syscall.SYS_SENDTO, fd, uintptr(p), uintptr(len(c.p)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&c.from)), uintptr(c.fromLen))
		switch errno {
		case 0:
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if c.blocked != nil {
				c.blocked()
				c.blocked = nil
			}
			return false // the runtime waits until the socket is writable
		}
		c.err = &net.OpError{Op: "write", Net: "udp", Err: syscall.Errno(errno)}
		return true
	}
}

// peer decodes the source address recvfrom returned.
func (c *rawDatagramConn) peer() string {
	switch c.from.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&c.from))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port)).String()
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&c.from))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), ntohs(sa.Port)).String()
	}
	return ""
}

// ntohs turns a port as the kernel stores it (big-endian) into a number.
func ntohs(port uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&port))
	return uint16(b[0])<<8 | uint16(b[1])
}
