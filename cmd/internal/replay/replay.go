// Package replay is the replay command, run by cmd/replay and by upcheck (upcheck replay). The command runs a counterexample saved by upcheck's fuzzers (a JSON
// script under fuzz/testdata/failures) against a target, and says whether
// the failure is still there. The target comes from the same settings as
// the suites: UPCHECK_SERVER_CMD, UPCHECK_TCP, UPCHECK_UDP, UPCHECK_UDP_MAX,
// UPCHECK_TIME_SCALE, or the flags of the same names; with none, the
// reference servers in process.
//
// With -count N it runs the script up to N times and stops at the first
// failure: a server that fails on the script only now and then (bytes of two
// writes that it reads at once only when it is slow) shows it.
//
// Exit status: 0 the script passes (every run), 1 it finds violations
// (printed one per line), 2 a usage or harness error.
package replay

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/upcheck/upcheck/fuzz"
	_ "github.com/upcheck/upcheck/internal/rapidenv" // a malformed RAPID_* setting: one line, not rapid's panic
	"github.com/upcheck/upcheck/suites/target"
)

func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	script := fs.String("script", "", "the JSON case to replay (written by a failing fuzz property)")
	verbose := fs.Bool("v", false, "log ports and timings to stderr")
	count := fs.Int("count", 1, "run the script up to this many times, stopping at the first failure")
	settings, err := target.FromEnv()
	if err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return 2
	}
	settings.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *script == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "replay: usage: replay -script FILE [-count N] [target flags]")
		return 2
	}
	if *count < 1 {
		fmt.Fprintf(stderr, "replay: -count %d: want 1 or more runs\n", *count)
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
	logf := func(f string, a ...any) { log.Debug(fmt.Sprintf(f, a...)) }
	fmt.Fprintf(stdout, "replaying %s (found by %s) against %s\n", *script, c.Property, t.Describe())
	fmt.Fprintf(stdout, "  %s\n", strings.ReplaceAll(c.String(), "\n", "\n  "))
	for i := 1; i <= *count; i++ {
		// Ask for the Env each time: a server command that died was
		// restarted, on other ports if its own were taken.
		err := c.Check(t.Env(logf), t.Healthy)
		if err == nil {
			continue
		}
		if *count > 1 {
			fmt.Fprintf(stdout, "FAIL (run %d of %d)\n%v\n", i, *count, err)
		} else {
			fmt.Fprintf(stdout, "FAIL\n%v\n", err)
		}
		if c.Failure != "" {
			fmt.Fprintf(stdout, "recorded failure:\n%s\n", c.Failure)
		}
		return 1
	}
	if *count > 1 {
		fmt.Fprintf(stdout, "PASS (%d runs)\n", *count)
	} else {
		fmt.Fprintln(stdout, "PASS")
	}
	return 0
}
