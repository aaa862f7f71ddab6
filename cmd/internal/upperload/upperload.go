// Package upperload is the upperload command, run by cmd/upperload and by upcheck (upcheck load). The command drives an uppercase server with load and verifies every
// reply byte while it does: bulk streams, request/response round trips,
// connection churn, thousands of idle connections held and checked, and UDP
// round trips.
//
//	upperload -mode reqresp -conns 16 -duration 10s   # the reference, in process
//	upperload -tcp 127.0.0.1:8080 -mode bulk -conns 8 -count 100000
//	UPCHECK_SERVER_CMD='python3 server.py --tcp {tcp} --udp {udp}' upperload -mode udp
//	upperload -mode idle-hold -conns 9000 -duration 4m  # a soak
//
// The target is given as to every upcheck tool (CONTRACT.md): -tcp / -udp
// addresses or -server-cmd, or the UPCHECK_* variables; with none, the
// reference servers run in process. Timeouts are multiplied by
// UPCHECK_TIME_SCALE (-time-scale).
//
// While it runs, a progress line goes to standard error every second
// (throughput, open connections, errors); at the end, a summary goes to
// standard output (throughput in MB/s and messages/s, latency p50, p90,
// p99, p99.9 and max, errors by kind), or with -json one JSON object.
//
// Exit status: 0 when every reply was right and nothing failed (a lost UDP
// datagram is no failure); 1 when a reply was wrong (a mismatch: a
// conformance failure) or anything else failed (a reset, a timeout, a
// refused connect, a stream closed early, an idle connection that died);
// 2 on a usage error or when the harness cannot run (a bad setting, a
// target that does not answer); 130 when SIGINT or SIGTERM stopped the run
// before its end with nothing failed so far: the summary is that of the run
// so far, and the status says it is not a whole run.
package upperload

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/upcheck/upcheck/clients/load"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

const usageText = `usage: upperload [flags]

Drives an uppercase server with load and verifies every reply byte.
The target: -tcp/-udp addresses, -server-cmd, or the UPCHECK_* variables;
with none, the reference servers in process.

Modes:
  bulk       each connection streams -size chunks while reading the replies
  reqresp    each connection sends a message and reads its reply, in turn
  churn      each worker connects, writes, half-closes, reads to EOF, closes
  idle-hold  open -conns connections, hold them, check each every -interval
  udp        each socket sends a datagram and waits for its reply (loss counted)

Exit status: 0 ok, 1 a wrong reply or any failure, 2 usage or harness error,
130 interrupted (SIGINT/SIGTERM) with nothing failed so far.

Flags:
`

// config is what the flags say.
type config struct {
	load     load.Config
	settings target.Settings
	json     bool
}

// usageError marks errors that exit with status 2 before any load.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run is upperload with its arguments and outputs; it returns the exit
// status.
func Run(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(name, args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
		return ExitUsage
	}

	startCtx, cancel := context.WithTimeout(ctx, cfg.settings.Scale(30*time.Second))
	t, err := target.Start(startCtx, cfg.settings, nil)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "%s: interrupted while starting the target\n", name)
			return ExitInterrupted
		}
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
		return ExitUsage
	}
	defer t.Close()

	cfg.load.Addr = t.TCPAddr()
	probe, _ := t.Probe()
	if cfg.load.Mode == load.UDP {
		cfg.load.Addr = t.UDPAddr()
		_, probe = t.Probe()
	}
	if cfg.load.Addr == "" {
		proto := "TCP"
		if cfg.load.Mode == load.UDP {
			proto = "UDP"
		}
		fmt.Fprintf(stderr, "%s: the target (%s) serves no %s, which -mode %s needs\n", name, t.Describe(), proto, cfg.load.Mode)
		return ExitUsage
	}
	if !probe.OK() {
		fmt.Fprintf(stderr, "%s: warning: the target answers the pre-flight probe wrongly (%s)\n", name, probe)
	}
	inProcess := cfg.settings.ServerCmd == "" && cfg.settings.TCP == "" && cfg.settings.UDP == ""
	if err := ensureFiles(cfg.load, inProcess); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
		return ExitUsage
	}

	cfg.load.Progress = func(s load.Snapshot) { fmt.Fprintln(stderr, progressLine(name, cfg.load.Mode, s)) }
	res, err := load.Run(ctx, cfg.load)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(err))
		return ExitUsage
	}
	if cfg.json {
		out := struct {
			Target string `json:"target"`
			load.Result
			Status string `json:"status"`
		}{t.Describe(), res, status(res)}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprint(stdout, summary(name, t.Describe(), res))
	}
	switch {
	case res.Errors.Total() > 0 || res.Died > 0:
		return ExitFailed
	case res.Interrupted:
		return ExitInterrupted
	}
	return ExitOK
}

// status is the run's verdict in a word, as the summary's last line and the
// JSON's "status" give it.
func status(r load.Result) string {
	switch {
	case r.Failed():
		return "FAIL (mismatch: a conformance failure)"
	case r.Errors.Total() > 0 || r.Died > 0:
		return "FAIL (errors)"
	case r.Interrupted:
		return "INTERRUPTED (no failure so far)"
	}
	return "PASS"
}

func parse(name string, args []string, stdout io.Writer) (config, error) {
	var cfg config
	s, err := target.FromEnv()
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.Usage = func() {}
	mode := fs.String("mode", string(load.ReqResp), "`mode`: bulk, reqresp, churn, idle-hold or udp")
	fs.IntVar(&cfg.load.Conns, "conns", 1, "connections (udp: sockets; churn: workers connecting at once)")
	fs.IntVar(&cfg.load.Size, "size", 0, "message `bytes` (bulk: the chunk written at once); default 16384 for bulk, 64 otherwise")
	fs.DurationVar(&cfg.load.Duration, "duration", 0, "how long to run (default 10s when -count is not given)")
	fs.Int64Var(&cfg.load.Count, "count", 0, "messages to send in all connections together (idle-hold: check rounds); 0 = no bound but -duration")
	fs.Float64Var(&cfg.load.Rate, "rate", 0, "cap on messages per `second` in all connections together; 0 = no cap")
	timeout := fs.Duration("timeout", load.DefaultTimeout, "bound on every connect, write and wait for reply bytes (multiplied by the time scale)")
	udpWait := fs.Duration("udp-wait", load.DefaultUDPWait, "udp: how long a reply is awaited before the datagram counts as lost (multiplied by the time scale)")
	fs.DurationVar(&cfg.load.Interval, "interval", load.DefaultInterval, "idle-hold: pause between check rounds")
	fs.IntVar(&cfg.load.Dialers, "dialers", load.DefaultDialers, "connects (and idle-hold checks) in progress at once")
	fs.BoolVar(&cfg.json, "json", false, "write the summary as one JSON object")
	// The target settings, as every upcheck tool has them (no -report:
	// upperload writes no conformance report).
	tfs := flag.NewFlagSet("target", flag.ContinueOnError)
	s.RegisterFlags(tfs)
	for _, name := range []string{"server-cmd", "tcp", "udp", "udp-max", "time-scale", "host"} {
		f := tfs.Lookup(name)
		fs.Var(f.Value, f.Name, f.Usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return cfg, err
		}
		return cfg, usagef("%v (see upperload -h)", err)
	}
	cfg.settings = s
	cfg.load.Mode = load.Mode(*mode)
	switch {
	case fs.NArg() > 0:
		return cfg, usagef("unexpected argument %q (see upperload -h)", fs.Arg(0))
	case !known(cfg.load.Mode):
		return cfg, usagef("-mode %q is not one of bulk, reqresp, churn, idle-hold, udp", *mode)
	case cfg.load.Conns < 1:
		return cfg, usagef("-conns %d is below 1", cfg.load.Conns)
	case cfg.load.Size < 0:
		return cfg, usagef("-size %d is negative", cfg.load.Size)
	case cfg.load.Size > load.MaxSize:
		return cfg, usagef("-size %d is over %d", cfg.load.Size, load.MaxSize)
	case cfg.load.Duration < 0:
		return cfg, usagef("-duration %v is negative", cfg.load.Duration)
	case cfg.load.Count < 0:
		return cfg, usagef("-count %d is negative", cfg.load.Count)
	case cfg.load.Rate < 0 || cfg.load.Rate != cfg.load.Rate:
		return cfg, usagef("-rate %v is not a number >= 0", cfg.load.Rate)
	case *timeout <= 0:
		return cfg, usagef("-timeout %v is not positive", *timeout)
	case *udpWait <= 0:
		return cfg, usagef("-udp-wait %v is not positive", *udpWait)
	case cfg.load.Interval <= 0:
		return cfg, usagef("-interval %v is not positive", cfg.load.Interval)
	case cfg.load.Dialers < 1:
		return cfg, usagef("-dialers %d is below 1", cfg.load.Dialers)
	}
	// The settings are validated by target.Start.
	udpMax := s.UDPMax
	if udpMax == 0 {
		udpMax = check.DefaultUDPMax
	}
	if cfg.load.Mode == load.UDP && cfg.load.Size > udpMax {
		return cfg, usagef("-size %d is over the declared UDP maximum %d (-udp-max): the reply would come back cut short", cfg.load.Size, udpMax)
	}
	if cfg.load.Duration == 0 && cfg.load.Count == 0 {
		cfg.load.Duration = 10 * time.Second
	}
	cfg.load.Timeout = s.Scale(*timeout)
	cfg.load.UDPWait = s.Scale(*udpWait)
	return cfg, nil
}

func known(m load.Mode) bool {
	for _, k := range load.Modes {
		if m == k {
			return true
		}
	}
	return false
}

// oneLine keeps an error message on one line, whatever it wraps.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
