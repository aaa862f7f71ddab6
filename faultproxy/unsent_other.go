//go:build !linux

package faultproxy

import "net"

// unsent cannot tell, outside Linux, how many bytes are still to be sent.
func unsent(s *net.TCPConn) (n int, ok bool) { return 0, false }
