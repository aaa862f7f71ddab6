package servers

import (
	"net"
	"syscall"
	"unsafe"
)

// handOnCheck returns the test a UDP worker applies after reading an n-byte
// datagram: should it hand the read turn to another worker before it
// replies? Yes when another datagram is already queued on the socket (a
// second worker then reads it while this one replies), or when the send
// queue is so full that the reply may block (reading must not wait for
// it). Otherwise the worker replies and reads again itself: a lone client's
// round trip then costs no hand-off between goroutines, which doubles its
// CPU time. The test is two ioctls (SIOCINQ, SIOCOUTQ); for a socket that
// is not a syscall.Conn it always says yes.
func handOnCheck(pc net.PacketConn) func(n int) bool {
	always := func(int) bool { return true }
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return always
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return always
	}
	sndbuf := 0
	rc.Control(func(fd uintptr) {
		sndbuf, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	if err != nil || sndbuf <= 0 {
		return always
	}
	var size int  // the datagram read, in bytes
	var pass bool // the verdict
	check := func(fd uintptr) {
		queued, err1 := ioctlInt(fd, syscall.TIOCINQ)  // SIOCINQ: the next datagram's size
		unsent, err2 := ioctlInt(fd, syscall.TIOCOUTQ) // SIOCOUTQ: bytes not yet sent
		// A zero-length datagram queued reads as none: it is then read by
		// this worker after its reply, which is only less parallel.
		pass = err1 != nil || err2 != nil || queued > 0 || unsent+size+udpSkbOverhead > sndbuf/2
	}
	return func(n int) bool {
		size = n
		if rc.Control(check) != nil {
			return true
		}
		return pass
	}
}

// udpSkbOverhead is roughly what the kernel charges a datagram's send
// buffer beyond its payload.
const udpSkbOverhead = 1024

// ioctlInt runs an ioctl that yields an int.
func ioctlInt(fd uintptr, req uintptr) (int, error) {
	var v int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(&v))); e != 0 {
		return 0, e
	}
	return int(v), nil
}
