// Command upperc is the seed's client as a tool: it sends a message to an
// uppercase server over TCP or UDP, checks that the reply is the message's
// ASCII uppercase, and prints each reply on its own line.
//
//	upperc -tcp 127.0.0.1:8080 -count 3
//	upperc -udp 127.0.0.1:8080            # loop until interrupted, as the seed does
//
// Exit status: 0 when every round trip succeeded (or the loop was
// interrupted by SIGINT or SIGTERM), 1 on a network failure or a wrong reply,
// 2 on a usage error. Errors are one line on standard error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/clients"
)

const usageText = `usage: upperc (-tcp ADDR | -udp ADDR) [flags]

Sends -msg to an uppercase server and prints each reply on its own line,
checking that it is the message's ASCII uppercase: the seed's client.
With -count 0 it loops until interrupted (SIGINT or SIGTERM).

Exit status: 0 ok (or interrupted), 1 network failure or wrong reply,
2 usage error.

Flags:
`

// config is what the flags say.
type config struct {
	tcp, udp    string
	msg         []byte
	count       int
	interval    time.Duration
	concurrency int
	timeout     time.Duration
	tries       int
}

// errUsage marks errors that exit with status 2.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func usagef(format string, args ...any) error { return errUsage{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is upperc with its arguments and outputs, returning the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "upperc: %s\n", oneLine(err))
		return 2
	}
	if err := drive(ctx, cfg, &lineWriter{w: stdout}); err != nil {
		fmt.Fprintf(stderr, "upperc: %s\n", oneLine(err))
		return 1
	}
	return 0
}

func parse(args []string, stdout io.Writer) (config, error) {
	var cfg config
	var msg string
	fs := flag.NewFlagSet("upperc", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.StringVar(&cfg.tcp, "tcp", "", "TCP server `address` (host:port)")
	fs.StringVar(&cfg.udp, "udp", "", "UDP server `address` (host:port)")
	fs.StringVar(&msg, "msg", "client33333", "the `message` to send; not empty: a zero-length TCP send gets no reply")
	fs.IntVar(&cfg.count, "count", 0, "round trips per client; 0 loops until interrupted")
	fs.DurationVar(&cfg.interval, "interval", 0, "pause between one client's round trips (default 1s when -count is 0, none otherwise)")
	fs.IntVar(&cfg.concurrency, "concurrency", 1, "clients at once, each with its own socket doing -count round trips")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "bound on connecting and on each round trip (for UDP, shared by its tries)")
	fs.IntVar(&cfg.tries, "tries", 3, "UDP only: sends of a message before it counts as lost")
	fs.Usage = func() {} // flag calls it on every error; -h is handled below
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return cfg, err
		}
		return cfg, usagef("%v (see upperc -h)", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg.msg = []byte(msg)
	switch {
	case fs.NArg() > 0:
		return cfg, usagef("unexpected argument %q (see upperc -h)", fs.Arg(0))
	case (cfg.tcp == "") == (cfg.udp == ""):
		return cfg, usagef("give exactly one of -tcp ADDR and -udp ADDR (see upperc -h)")
	case len(cfg.msg) == 0:
		return cfg, usagef("-msg is empty: a zero-length TCP send gets no reply, so there is nothing to check")
	case cfg.count < 0:
		return cfg, usagef("-count %d is negative", cfg.count)
	case cfg.interval < 0:
		return cfg, usagef("-interval %v is negative", cfg.interval)
	case cfg.concurrency < 1:
		return cfg, usagef("-concurrency %d is below 1", cfg.concurrency)
	case cfg.timeout <= 0:
		return cfg, usagef("-timeout %v is not positive", cfg.timeout)
	case cfg.tries < 1:
		return cfg, usagef("-tries %d is below 1", cfg.tries)
	case set["tries"] && cfg.tcp != "":
		return cfg, usagef("-tries applies to -udp only")
	}
	if !set["interval"] && cfg.count == 0 {
		cfg.interval = time.Second
	}
	return cfg, nil
}

// lineWriter writes whole lines from many clients without interleaving them.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) line(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(append(p[:len(p):len(p)], '\n'))
}

// drive runs cfg.concurrency clients until each has done cfg.count round
// trips, one fails, or ctx ends (an interrupt, which is no failure). It
// returns the first failure; the others are cut short by it.
func drive(ctx context.Context, cfg config, out *lineWriter) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	client := tcpClient
	if cfg.udp != "" {
		client = udpClient
	}
	clients.Concurrently(runCtx, cfg.concurrency, 0, func(cctx context.Context, i int) error {
		err := client(cctx, cfg, out)
		if err == nil || runCtx.Err() != nil {
			return nil // done, interrupted, or stopped by another's failure
		}
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			if cfg.concurrency > 1 {
				err = fmt.Errorf("client %d: %w", i, err)
			}
			first = err
			cancel()
		}
		return nil
	})
	return first
}

// upper is Python's bytes.upper(): ASCII letters only.
func upper(p []byte) []byte {
	out := bytes.Clone(p)
	for i, b := range out {
		if b >= 'a' && b <= 'z' {
			out[i] = b - ('a' - 'A')
		}
	}
	return out
}

// rounds calls roundTrip cfg.count times (forever when 0), pausing
// cfg.interval in between, until ctx ends.
func rounds(ctx context.Context, cfg config, roundTrip func(ctx context.Context) error) error {
	for n := 0; cfg.count == 0 || n < cfg.count; n++ {
		if n > 0 && cfg.interval > 0 {
			t := time.NewTimer(cfg.interval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.timeout)
		err := roundTrip(rctx)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

func tcpClient(ctx context.Context, cfg config, out *lineWriter) error {
	dctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	c, err := clients.DialTCP(dctx, cfg.tcp)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	want := upper(cfg.msg)
	return rounds(ctx, cfg, func(ctx context.Context) error {
		got, err := c.RoundTrip(ctx, cfg.msg)
		switch {
		case err != nil && len(got) == 0:
			return fmt.Errorf("no reply from tcp %s: %w", cfg.tcp, err)
		case err != nil:
			return fmt.Errorf("wrong reply from tcp %s: expected %q, got %q, then: %w", cfg.tcp, want, got, err)
		case !bytes.Equal(got, want):
			return fmt.Errorf("wrong reply from tcp %s: expected %q, got %q", cfg.tcp, want, got)
		}
		out.line(got)
		return nil
	})
}

func udpClient(ctx context.Context, cfg config, out *lineWriter) error {
	dctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	c, err := clients.DialUDP(dctx, cfg.udp)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	want := upper(cfg.msg)
	return rounds(ctx, cfg, func(ctx context.Context) error {
		d, _, err := c.RoundTrip(ctx, cfg.msg, cfg.tries, nil)
		switch {
		case err != nil:
			return fmt.Errorf("udp %s: %w", cfg.udp, err)
		case d.Truncated || !bytes.Equal(d.Data, want):
			return fmt.Errorf("wrong reply from udp %s: expected %q, got %q", cfg.udp, want, d.Data)
		}
		out.line(d.Data)
		return nil
	})
}

// oneLine keeps an error message on one line, whatever it wraps.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
