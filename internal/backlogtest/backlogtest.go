// Package backlogtest gives tests a loopback TCP listener with a small
// listen backlog, as Python's socketserver (5) and many C servers use, and
// the kernel's count of SYNs such a listener dropped: what the harness's
// dialling has to live with.
package backlogtest

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Listen listens on a free loopback port with the given listen backlog and
// closes the listener when the test ends. On Linux a backlog of n holds up
// to n+1 connections that the server has not accepted yet; a SYN beyond
// them is dropped and sent again by the client's kernel after a second.
func Listen(t testing.TB, backlog int) *net.TCPListener {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.(*net.TCPListener)
}

// Overflows returns the kernel's count of SYNs dropped on a full accept
// queue, machine-wide (TcpExt ListenOverflows in /proc/net/netstat), or -1
// where there is none to read.
func Overflows() int64 {
	f, err := os.Open("/proc/net/netstat")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var names []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "TcpExt:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "ListenOverflows" && i < len(fields) {
				v, _ := strconv.ParseInt(fields[i], 10, 64)
				return v
			}
		}
	}
	return -1
}
