// Package upperd is the upperd command, run by cmd/upperd and by upcheck (upcheck serve). The command serves upcheck's reference uppercase servers: TCP and UDP
// on 127.0.0.1:8080 by default, the seed's address, with the seed's
// semantics (see package servers and SEMANTICS.md).
//
// Usage:
//
//	upperd [flags]
//
// It binds every socket before serving any, so a failure leaves nothing
// half-running, and logs the bound addresses (slog text on stderr):
//
//	level=INFO msg="tcp listening" addr=127.0.0.1:8080
//	level=INFO msg="udp listening" addr=127.0.0.1:8080
//
// SIGINT or SIGTERM shuts both servers down gracefully within
// -shutdown-timeout and exits 0; a second signal closes them at once.
//
// Exit status: 0 after a shutdown by signal, 1 when a socket cannot be bound
// or a server fails, 2 for bad flags. Errors are one line on stderr, such as
//
//	upperd: listen tcp 127.0.0.1:8080: bind: address already in use
package upperd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/upcheck/upcheck/servers"
)

// config is what the flags say.
type config struct {
	tcpAddr, udpAddr string
	readSize         int
	udpMax           int
	maxConns         int
	idleTimeout      time.Duration
	keepAlive        time.Duration
	udpWorkers       int
	logLevel         slog.Level
	shutdownTimeout  time.Duration
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func parseFlags(name string, args []string, stderr io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.StringVar(&c.tcpAddr, "tcp", servers.DefaultAddr, `TCP address to serve; "" serves no TCP`)
	fs.StringVar(&c.udpAddr, "udp", servers.DefaultAddr, `UDP address to serve; "" serves no UDP`)
	fs.IntVar(&c.readSize, "read-size", servers.DefaultReadSize, "most bytes read, and answered, at once on a TCP connection (the seed's recv(1024))")
	fs.IntVar(&c.udpMax, "udp-max", servers.DefaultMaxDatagram, "most bytes read of a datagram; longer ones are answered truncated (1-65535)")
	fs.IntVar(&c.maxConns, "max-conns", 0, "most TCP connections served at once; others wait to be accepted (0 = no bound)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 0, "end a TCP connection that makes no progress for this long (0 = never)")
	fs.DurationVar(&c.keepAlive, "keepalive", 0, "TCP keep-alive period of accepted connections (0 = off)")
	fs.IntVar(&c.udpWorkers, "udp-workers", 0, "goroutines reading and answering datagrams (0 = max(4, GOMAXPROCS))")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long a graceful shutdown may take before connections are closed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "Usage: upperd [flags]\n\nServes the reference TCP and UDP uppercase servers.\n\nFlags:")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case c.tcpAddr == "" && c.udpAddr == "":
		return nil, usageError{"-tcp and -udp are both empty: nothing to serve"}
	case c.readSize < 1:
		return nil, usageError{fmt.Sprintf("-read-size %d: must be at least 1", c.readSize)}
	case c.udpMax < 1 || c.udpMax > 65535:
		return nil, usageError{fmt.Sprintf("-udp-max %d: must be 1 to 65535", c.udpMax)}
	case c.maxConns < 0:
		return nil, usageError{fmt.Sprintf("-max-conns %d: must not be negative", c.maxConns)}
	case c.idleTimeout < 0:
		return nil, usageError{fmt.Sprintf("-idle-timeout %v: must not be negative", c.idleTimeout)}
	case c.keepAlive < 0:
		return nil, usageError{fmt.Sprintf("-keepalive %v: must not be negative", c.keepAlive)}
	case c.udpWorkers < 0:
		return nil, usageError{fmt.Sprintf("-udp-workers %d: must not be negative", c.udpWorkers)}
	case c.shutdownTimeout <= 0:
		return nil, usageError{fmt.Sprintf("-shutdown-timeout %v: must be positive", c.shutdownTimeout)}
	}
	for _, a := range []struct{ flag, addr string }{{"-tcp", c.tcpAddr}, {"-udp", c.udpAddr}} {
		if err := checkAddr(a.addr); err != nil {
			return nil, usageError{fmt.Sprintf("%s %q: %v", a.flag, a.addr, err)}
		}
	}
	switch strings.ToLower(*level) {
	case "debug":
		c.logLevel = slog.LevelDebug
	case "info":
		c.logLevel = slog.LevelInfo
	case "warn":
		c.logLevel = slog.LevelWarn
	case "error":
		c.logLevel = slog.LevelError
	default:
		return nil, usageError{fmt.Sprintf("-log-level %q: must be debug, info, warn or error", *level)}
	}
	return &c, nil
}

// checkAddr rejects an address that is not host:port with a numeric port,
// so that a typo is a usage error rather than a failure to listen.
func checkAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
		return errors.New("want a port number 0-65535")
	}
	return nil
}

// Run is upperd, returning its exit status: 0 after a shutdown by signal,
// 1 on a failure to listen or serve, 2 on a bad command line.
func Run(name string, args []string, stderr io.Writer, sigs <-chan os.Signal) int {
	c, err := parseFlags(name, args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.logLevel}))

	// Bind everything before serving anything.
	var (
		ln net.Listener
		pc net.PacketConn
	)
	if c.tcpAddr != "" {
		if ln, err = servers.Listen(c.tcpAddr); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
	}
	if c.udpAddr != "" {
		if pc, err = net.ListenPacket("udp", c.udpAddr); err != nil {
			if ln != nil {
				ln.Close()
			}
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
	}

	type server interface {
		Shutdown(context.Context) error
		Close() error
	}
	var running []server
	served := make(chan error, 2)
	if ln != nil {
		s := &servers.TCPServer{
			ReadSize:    c.readSize,
			MaxConns:    c.maxConns,
			IdleTimeout: c.idleTimeout,
			KeepAlive:   c.keepAlive,
			Logger:      log,
		}
		running = append(running, s)
		go func() { served <- s.Serve(ln) }()
	}
	if pc != nil {
		s := &servers.UDPServer{
			MaxDatagram: c.udpMax,
			Workers:     c.udpWorkers,
			Logger:      log,
		}
		running = append(running, s)
		go func() { served <- s.Serve(pc) }()
	}

	status := 0
	pending := len(running)
	select {
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String(), "timeout", c.shutdownTimeout)
	case err := <-served:
		// A server ended by itself: a failure. Stop the other one too.
		pending--
		log.Error("server failed", "err", err)
		status = 1
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	go func() {
		// A second signal cuts the graceful shutdown short.
		select {
		case sig := <-sigs:
			log.Warn("closing at once", "signal", sig.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	shut := make(chan error, len(running))
	for _, s := range running {
		go func() { shut <- s.Shutdown(ctx) }()
	}
	for range running {
		if err := <-shut; err != nil {
			log.Warn("shutdown cut short; remaining connections closed", "err", err)
		}
	}
	for range pending {
		if err := <-served; err != nil && !errors.Is(err, servers.ErrServerClosed) {
			log.Error("server failed", "err", err)
			status = 1
		}
	}
	log.Info("stopped")
	return status
}
