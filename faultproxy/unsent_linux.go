package faultproxy

import (
	"net"
	"syscall"
	"unsafe"
)

// siocoutqnsd is Linux's SIOCOUTQNSD: the bytes in a TCP socket's send
// queue not yet sent.
const siocoutqnsd = 0x894B

// unsent returns how many bytes written to s have not been sent yet; ok is
// false if that cannot be known.
func unsent(s *net.TCPConn) (n int, ok bool) {
	if s == nil {
		return 0, false
	}
	rc, err := s.SyscallConn()
	if err != nil {
		return 0, false
	}
	var v int32
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutqnsd, uintptr(unsafe.Pointer(&v)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(v), true
}
