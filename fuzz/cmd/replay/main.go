// Command replay runs a counterexample saved by upcheck's fuzzers (a JSON
// script under fuzz/testdata/failures) against a target, and says whether
// the failure is still there. The target comes from the same settings as
// the suites: UPCHECK_SERVER_CMD, UPCHECK_TCP, UPCHECK_UDP, UPCHECK_UDP_MAX,
// UPCHECK_TIME_SCALE, or the flags of the same names; with none, the
// reference servers in process.
//
// Exit status: 0 the script passes, 1 it finds violations (printed one per
// line), 2 a usage or harness error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	script := fs.String("script", "", "the JSON case to replay (written by a failing fuzz property)")
	verbose := fs.Bool("v", false, "log ports and timings to stderr")
	settings, err := target.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return 2
	}
	settings.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *script == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "replay: usage: replay -script FILE [target flags]")
		return 2
	}
	c, err := fuzz.LoadCase(*script)
	if err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithTimeout(context.Background(), settings.Scale(30*time.Second))
	defer cancel()
	t, err := target.Start(ctx, settings, log)
	if err != nil {
		fmt.Fprintf(stderr, "replay: harness error: %v\n", err)
		var herr *target.HarnessError
		if errors.As(err, &herr) && herr.Output != "" {
			fmt.Fprintf(stderr, "%s\n", herr.Output)
		}
		return 2
	}
	defer t.Close()
	s := t.Settings()
	e := check.Env{TCP: t.TCPAddr(), UDP: t.UDPAddr(), UDPMax: s.UDPMax, Scale: s.TimeScale,
		Logf: func(f string, a ...any) { log.Debug(fmt.Sprintf(f, a...)) }}
	fmt.Fprintf(stdout, "replaying %s (found by %s) against %s\n", *script, c.Property, t.Describe())
	err = c.Run(ctx, e)
	if herr := t.Healthy(c.Property); herr != nil {
		err = errors.Join(err, herr)
	}
	if err != nil {
		fmt.Fprintf(stdout, "FAIL\n%v\n", err)
		if c.Failure != "" {
			fmt.Fprintf(stdout, "recorded failure:\n%s\n", c.Failure)
		}
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}
