// Command matrix is make matrix: it runs upcheck's conformance suites
// against every implementation listed in a configuration file and renders
// the results side by side, as Markdown and as one self-contained HTML
// page.
//
//	matrix [-config matrix.json] [-out reports] [-parallel 3] [-suites FILE]
//
// It must run inside the upcheck module: it builds the suites' test binary
// (unless -suites names one) and runs the server commands from the module
// root. It writes each implementation's conformance report under
// OUT/matrix/ (NAME.json, NAME.md, with ginkgo's report and the run's log),
// then OUT/matrix.md and OUT/matrix.html, and prints the Markdown.
//
// The configuration, and the rendering, are package suites/matrix's, which
// upcheck matrix shares; this command checks each implementation with the
// suites' test binary (suiterun), so that every run also keeps ginkgo's
// JSON report and its log. An implementation whose required programs are
// missing is skipped, and its column says so. The module's matrix.json
// lists faulty servers (lab/cmd/mutantd) beside the reference, which fail
// by design: the verdicts do not change the exit status.
//
// Exit status: 0 when the matrix is rendered, whatever the verdicts in it;
// 1 when the suites cannot be built or the matrix cannot be written; 2 for
// bad flags or a bad configuration. SIGINT or SIGTERM stops the runs, which
// stop their servers, and renders what was judged.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/upcheck/upcheck/suites/matrix"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "matrix.json", "the implementations to check (JSON)")
	out := fs.String("out", "reports", "directory of the matrix and of each implementation's report")
	parallel := fs.Int("parallel", 3, "implementations checked at once")
	suites := fs.String("suites", "", "the suites' test binary (go test -c ./suites); empty: build it")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "matrix: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *parallel < 1 {
		fmt.Fprintf(stderr, "matrix: -parallel %d: must be at least 1\n", *parallel)
		return 2
	}
	cfg, err := matrix.Load(*config)
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 2
	}
	root, err := target.ModuleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	outDir, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	runDir := filepath.Join(outDir, "matrix")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	bin := *suites
	if bin == "" {
		tmp, err := os.MkdirTemp("", "upcheck-matrix-")
		if err != nil {
			fmt.Fprintf(stderr, "matrix: %v\n", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		fmt.Fprintln(stderr, "matrix: building the suites")
		if bin, err = suiterun.BuildSuites(ctx, root, tmp); err != nil {
			fmt.Fprintf(stderr, "matrix: %v\n", err)
			return 1
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}

	cols := matrix.Run(ctx, cfg, matrix.RunOptions{
		Check: suitesCheck(bin, root), Dir: runDir, Out: outDir, Parallel: *parallel, Log: stderr,
	})

	md := matrix.Markdown(cols)
	page, err := matrix.HTML(cols)
	if err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	mdPath, htmlPath := filepath.Join(outDir, "matrix.md"), filepath.Join(outDir, "matrix.html")
	if err := os.WriteFile(mdPath, []byte(md), 0o644); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	if err := os.WriteFile(htmlPath, page, 0o644); err != nil {
		fmt.Fprintf(stderr, "matrix: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, md)
	fmt.Fprintf(stdout, "\nmatrix: %s, %s\n", mdPath, htmlPath)
	return 0
}

// suitesCheck checks an implementation with the suites' test binary bin,
// its server command run from the module root.
func suitesCheck(bin, root string) matrix.Check {
	return func(ctx context.Context, im matrix.Implementation, js string) (*report.Report, error) {
		res, err := suiterun.Run(ctx, suiterun.Options{Suites: bin, Settings: im.Settings(), Report: js, Dir: root})
		if err != nil {
			return nil, err
		}
		return &res.Report, nil
	}
}
