// Command mutantd runs one of upcheck's faulty servers (package
// lab/mutants), a mutant or a hostile server, as a process, so that the
// suites and the matrix can check it as they check any other
// implementation:
//
//	mutantd -mutant NAME -tcp 127.0.0.1:PORT -udp 127.0.0.1:PORT
//	mutantd -list
//
// Either address may be left out to serve one protocol only; a bare PORT
// means 127.0.0.1:PORT, so a harness command can read
// "mutantd -mutant Serial -tcp {tcp} -udp {udp}". The faulty server is
// served on its own protocol and the reference server on the other.
//
// It logs the bound addresses to stderr and runs until SIGINT or SIGTERM
// (exit 0). It exits 1 with a one-line error when an address cannot be bound
// or when the faulty server dies (that being its fault, as DieAfter's is),
// and 2 on bad usage or an unknown name. -list prints one server a line:
// name, the requirement IDs it breaks (comma-separated, the first being its
// target; empty for a hostile server) and its bug, separated by tabs.
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

	"github.com/upcheck/upcheck/lab/mutants"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutantd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("mutant", "", "name of the mutant or hostile server to run (see -list)")
	tcp := fs.String("tcp", "", "TCP address to serve on, host:port or port; empty: no TCP")
	udp := fs.String("udp", "", "UDP address to serve on, host:port or port; empty: no UDP")
	list := fs.Bool("list", false, "list the faulty servers: name, broken requirement IDs, bug")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mutantd -mutant NAME [-tcp ADDR] [-udp ADDR]\n       mutantd -list")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mutantd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *list {
		for _, m := range mutants.All() {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", m.Name, strings.Join(m.Breaks, ","), m.Bug)
		}
		return 0
	}
	if *name == "" {
		fmt.Fprintln(stderr, "mutantd: -mutant NAME is required (mutantd -list shows the names)")
		return 2
	}
	m, ok := mutants.ByName(*name)
	if !ok {
		fmt.Fprintf(stderr, "mutantd: unknown mutant %q (mutantd -list shows the names)\n", *name)
		return 2
	}
	if *tcp == "" && *udp == "" {
		fmt.Fprintln(stderr, "mutantd: give -tcp, -udp or both")
		return 2
	}

	// Signals are caught before binding, so that one sent as soon as the
	// addresses are logged is never lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	tcpAddr, udpAddr, err := m.StartOn(hostPort(*tcp), hostPort(*udp))
	if err != nil {
		fmt.Fprintf(stderr, "mutantd: %v\n", err)
		return 1
	}
	what := "breaks " + strings.Join(m.Breaks, ",")
	if m.Hostile() {
		what = "is hostile"
	}
	fmt.Fprintf(stderr, "mutantd: %s %s (faulty %s): tcp %s udp %s\n",
		m.Name, what, strings.Join(m.Protocols(), "+"), orNone(tcpAddr), orNone(udpAddr))

	select {
	case sig := <-sigs:
		m.Close()
		fmt.Fprintf(stderr, "mutantd: %s: stopped by %v\n", m.Name, sig)
		return 0
	case <-m.Done():
		m.Close()
		fmt.Fprintf(stderr, "mutantd: %s: server died: %v\n", m.Name, m.Err())
		return 1
	}
}

// hostPort turns a bare port into 127.0.0.1:port and leaves anything else.
func hostPort(addr string) string {
	if addr == "" || strings.Contains(addr, ":") {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", addr)
}

func orNone(addr string) string {
	if addr == "" {
		return "-"
	}
	return addr
}
