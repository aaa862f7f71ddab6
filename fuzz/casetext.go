package fuzz

import (
	"fmt"
	"strings"
)

// String is the case as the steps a person would type, a line per TCP
// connection or UDP socket (check.TCPScript.String, check.UDPScript.String),
// then the network's faults when the case goes through one:
//
//	connection 0: write "ab\xe0"; pause 20ms; write "z"; half-close; read to EOF
//	connection 1: write hex e0 7a; reset
//	network: up: 1-byte segments; down: as is
//
// It is how a case is logged: by rapid (GoString), in the campaign's list
// of failures and by cmd/replay.
func (c *Case) String() string {
	var lines []string
	if c.TCP != nil {
		lines = append(lines, c.TCP.String())
	}
	if c.UDP != nil {
		lines = append(lines, c.UDP.String())
	}
	if c.Net != nil {
		lines = append(lines, "network: "+c.Net.String())
	}
	if c.UDPNet != nil {
		lines = append(lines, "network: "+c.UDPNet.String())
	}
	if len(lines) == 0 {
		return "no script"
	}
	return strings.Join(lines, "\n")
}

// GoString is what rapid logs of a drawn case ("[rapid] draw case: %#v"):
// its size, then String on lines of their own.
func (c *Case) GoString() string {
	var what []string
	if c.TCP != nil {
		what = append(what, count(len(c.TCP.Conns), "TCP connection"))
	}
	if c.UDP != nil {
		what = append(what, count(len(c.UDP.Sockets), "UDP socket"))
	}
	if c.Net != nil || c.UDPNet != nil {
		what = append(what, "a faulty network")
	}
	return "(" + strings.Join(what, ", ") + ")\n" + c.String()
}

// count says "1 socket", "2 sockets".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
