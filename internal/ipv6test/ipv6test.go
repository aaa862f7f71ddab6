// Package ipv6test tells whether this machine has IPv6 on loopback, for the
// tests that run the harness on ::1: where it is missing they skip and say
// why, rather than fail or pass without checking anything.
package ipv6test

import (
	"fmt"
	"net"
	"sync"
	"testing"
)

var missing = sync.OnceValue(func() string {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return fmt.Sprintf("no IPv6 on loopback (%v)", err)
	}
	ln.Close()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return fmt.Sprintf("no IPv6 on loopback (%v)", err)
	}
	pc.Close()
	return ""
})

// Missing returns why ::1 cannot be used (a TCP or UDP socket cannot be
// bound there), "" when it can.
func Missing() string { return missing() }

// Need skips the test, naming the reason, when ::1 cannot be used.
func Need(t testing.TB) {
	t.Helper()
	if why := Missing(); why != "" {
		t.Skip("needs ::1: " + why)
	}
}
