package servers

import (
	"net"
	"syscall"
	"unsafe"
)

// unacked returns how many bytes written to c (its FIN included) the peer
// has not acknowledged yet: Linux's SIOCOUTQ. ok is false when c is not a
// socket it can ask.
func unacked(c net.Conn) (n int, ok bool) {
	sc, isSocket := c.(syscall.Conn)
	if !isSocket {
		return 0, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var v int32
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&v)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(v), true
}
