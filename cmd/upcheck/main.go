// Command upcheck checks that a TCP and UDP uppercase server, written in
// any language, follows SEMANTICS.md: one binary that runs the conformance
// suite, the fuzzers, the reference servers and the load tool.
//
//	go install github.com/upcheck/upcheck/cmd/upcheck@latest
//	upcheck check --server-cmd 'node server.js --tcp {tcp} --udp {udp}'
//
// Subcommands:
//
//	check    the conformance suite (the specs of go tool ginkgo ./suites)
//	fuzz     a fuzz campaign (cmd/campaign)
//	replay   run a counterexample the fuzzers saved (cmd/replay)
//	matrix   several servers side by side, checked here or from their reports
//	serve    the reference servers (cmd/upperd)
//	load     load and verify a server (cmd/upperload)
//	diff     compare two reports (cmd/reportdiff)
//	version  print upcheck's version
//
// upcheck help CMD (or upcheck CMD -h) describes one. Flags take one dash
// or two.
//
// Exit status of check: 0 every MUST requirement passed; 1 a MUST
// requirement failed; 2 a usage or harness error (a bad setting, a target
// that is not there), never a verdict on the server. matrix keeps them
// for the whole matrix: 1 when an implementation failed, else 2 when one
// could not be judged. The other subcommands keep the statuses of the
// commands they are.
package main

import (
	"context"
	"fmt"
	"github.com/upcheck/upcheck/cmd/internal/reportdiff"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"

	"github.com/upcheck/upcheck/cmd/internal/campaign"
	replaycmd "github.com/upcheck/upcheck/cmd/internal/replay"
	"github.com/upcheck/upcheck/cmd/internal/upperd"
	"github.com/upcheck/upcheck/cmd/internal/upperload"
	"github.com/upcheck/upcheck/suites/report"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// A command is one subcommand of upcheck.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"check", "run the conformance suite against a server; the report says what to fix", runCheck},
		{"fuzz", "run a fuzz campaign against a server (without Go and a checkout: the rapid properties only)", runFuzz},
		{"replay", "run a counterexample the fuzzers saved against a server", func(args []string, stdout, stderr io.Writer) int {
			return replaycmd.Run(args, stdout, stderr)
		}},
		{"matrix", "check several servers, or render their reports made elsewhere, side by side (HTML)", runMatrix},
		{"serve", "serve the reference TCP and UDP servers (127.0.0.1:8080)", func(args []string, _, stderr io.Writer) int {
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			return upperd.Run("upcheck serve", args, stderr, sigs)
		}},
		{"load", "drive a server with load and verify every reply byte", func(args []string, stdout, stderr io.Writer) int {
			return withSignals(func(ctx context.Context) int { return upperload.Run(ctx, "upcheck load", args, stdout, stderr) })
		}},
		{"diff", "compare two JSON reports: regressions and fixes (exit 1 on a regression)", func(args []string, stdout, stderr io.Writer) int {
			return reportdiff.Run("upcheck diff", args, stdout, stderr)
		}},
		{"version", "print upcheck's version", func(args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				fmt.Fprintf(stderr, "upcheck version: unexpected argument %q\n", args[0])
				return exitUsage
			}
			fmt.Fprintf(stdout, "upcheck %s\n", report.Version())
			return exitPass
		}},
	}
}

// Exit statuses of upcheck check (CONTRACT.md).
const (
	exitPass  = 0 // every MUST requirement passed
	exitFail  = 1 // a MUST requirement failed
	exitUsage = 2 // a usage or harness error: no verdict on the server
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(rest) > 0 {
			if c, ok := lookup(rest[0]); ok {
				return c.run([]string{"-h"}, stdout, stdout)
			}
			fmt.Fprintf(stderr, "upcheck help: no command %q\n", rest[0])
			return exitUsage
		}
		usage(stdout)
		return exitPass
	case "-version", "--version":
		name = "version"
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "upcheck: no command %q (upcheck -h lists them)\n", name)
		return exitUsage
	}
	return c.run(rest, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprint(w, `upcheck checks that a TCP and UDP uppercase server follows SEMANTICS.md.

Usage:

  upcheck check --server-cmd 'COMMAND with {tcp} and {udp}'   check a server the harness starts
  upcheck check --tcp HOST:PORT --udp HOST:PORT               check a server that is running
  upcheck check                                               check the reference servers

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
"upcheck CMD -h" describes a command's flags; flags take one dash or two.
Exit status of check: 0 every MUST requirement passed, 1 a MUST requirement
failed, 2 a usage or harness error (a bad setting, a server that never came up).
`)
}

// withSignals runs f with a context that SIGINT or SIGTERM cancels; a second
// signal kills at once.
func withSignals(f func(ctx context.Context) int) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	defer stop()
	return f(ctx)
}

// runFuzz runs the fuzz campaign of make fuzz. It runs go test in a
// checkout of upcheck: without the Go toolchain it says so in one line and
// runs the rapid properties compiled in.
func runFuzz(args []string, stdout, stderr io.Writer) int {
	if _, err := exec.LookPath("go"); err != nil && !slices.Contains(args, "-h") && !slices.Contains(args, "--help") {
		if len(args) > 0 {
			fmt.Fprintf(stderr, "upcheck fuzz: without the Go toolchain it takes no flags (settings: UPCHECK_*, RAPID_CHECKS, RAPID_SEED), not %q\n", args[0])
			return exitUsage
		}
		fmt.Fprintln(stderr, "upcheck fuzz: go is not on PATH: the native fuzz targets need the Go toolchain; running the rapid properties only")
		return runProperties(stdout, stderr)
	}
	return withSignals(func(ctx context.Context) int { return campaign.Run(ctx, args, stdout, stderr) })
}
