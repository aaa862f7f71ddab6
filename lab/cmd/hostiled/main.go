// Command hostiled serves a hostile server of package hostile, so that the
// whole conformance suite can be run against it as a server command:
//
//	go test ./suites -args -server-cmd 'hostiled -tcp {tcp} -tcp-mode endless'
//
// Usage:
//
//	hostiled [-tcp port] [-tcp-mode mode] [-die-after n] [-stall-after n] [-udp port] [-udp-mode mode]
//
// -tcp and -udp take a port (served on 127.0.0.1) or host:port; an empty one
// is not served. -die-after n makes the TCP server exit with status 3 once
// it has accepted n connections, as a server that crashes mid-run;
// -stall-after n makes it answer no connection after the first n, as one
// that hangs. It exits
// 0 on SIGTERM or SIGINT, and 2 with a one-line error on bad flags or a port
// it cannot bind.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/upcheck/upcheck/lab/hostile"
)

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(os.Args[1:], os.Stderr, sigs, os.Exit))
}

// run is hostiled; exit is called by a server that dies mid-run.
func run(args []string, stderr io.Writer, sigs <-chan os.Signal, exit func(int)) int {
	fs := flag.NewFlagSet("hostiled", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tcpAddr := fs.String("tcp", "", "TCP port or host:port to serve (empty: none)")
	udpAddr := fs.String("udp", "", "UDP port or host:port to serve (empty: none)")
	tcpMode := fs.String("tcp-mode", string(hostile.Upper), fmt.Sprintf("TCP behaviour: one of %v", hostile.TCPBehaviors))
	udpMode := fs.String("udp-mode", string(hostile.UDPUpper), fmt.Sprintf("UDP behaviour: one of %v", hostile.UDPBehaviors))
	dieAfter := fs.Int("die-after", 0, "exit with status 3 once this many TCP connections were accepted (0: never)")
	stallAfter := fs.Int("stall-after", 0, "answer no TCP connection accepted after this many (0: never)")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "hostiled: "+format+"\n", a...)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return fail("%v", err)
	}
	if *tcpAddr == "" && *udpAddr == "" {
		return fail("-tcp and -udp are both empty: nothing to serve")
	}
	tb, err := hostile.ParseTCPBehavior(*tcpMode)
	if err != nil {
		return fail("-tcp-mode: %v", err)
	}
	ub, err := hostile.ParseUDPBehavior(*udpMode)
	if err != nil {
		return fail("-udp-mode: %v", err)
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	if *tcpAddr != "" {
		s, err := hostile.StartTCP(hostile.TCPConfig{
			Addr: hostPort(*tcpAddr), Behavior: tb, DieAfter: *dieAfter, StallAfter: *stallAfter,
			OnDie: func() {
				fmt.Fprintf(stderr, "hostiled: dying after %d connections\n", *dieAfter)
				exit(3)
			},
		})
		if err != nil {
			return fail("%v", err)
		}
		closers = append(closers, s)
		fmt.Fprintf(stderr, "hostiled: tcp %s on %s\n", tb, s.Addr())
	}
	if *udpAddr != "" {
		s, err := hostile.StartUDP(hostPort(*udpAddr), ub)
		if err != nil {
			return fail("%v", err)
		}
		closers = append(closers, s)
		fmt.Fprintf(stderr, "hostiled: udp %s on %s\n", ub, s.Addr())
	}
	<-sigs
	return 0
}

// hostPort makes a bare port 127.0.0.1:port.
func hostPort(s string) string {
	if strings.Contains(s, ":") {
		return s
	}
	return net.JoinHostPort("127.0.0.1", s)
}
