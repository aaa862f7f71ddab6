package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/upcheck/upcheck/suites/matrix"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// matrixOptions are upcheck matrix's flags.
type matrixOptions struct {
	config, from, out string
	parallel          int
	// pass holds the settings given to every check (-time-scale, -host),
	// parsed and named in errors as upcheck check's flags are.
	pass             target.Settings
	only, skip, seed string
}

// matrixRunFlags are the flags that say how to run the checks: they mean
// nothing with -from.
var matrixRunFlags = []string{"config", "parallel", "time-scale", "host", "only", "skip", "seed"}

// runMatrix is upcheck matrix: the conformance matrix of the
// implementations of a configuration, each checked by a run of this
// binary's check, or of reports made elsewhere (-from). It renders
// OUT/matrix.md and OUT/matrix.html and prints the Markdown; its exit
// status is the matrix's verdict (matrix.ExitStatus).
func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upcheck matrix", flag.ContinueOnError)
	// A bad flag is one line, not the whole usage after it.
	fs.SetOutput(io.Discard)
	var o matrixOptions
	fs.StringVar(&o.config, "config", "matrix.json", "the implementations to check: a JSON `FILE` (see above)")
	fs.StringVar(&o.from, "from", "", "render the JSON reports in `DIR` (NAME.json, one per implementation) instead of checking anything")
	fs.StringVar(&o.out, "out", "matrix", "where matrix.md, matrix.html and each implementation's reports (`OUT`/reports/NAME.json) go")
	fs.IntVar(&o.parallel, "parallel", 2, "check `N` implementations at once")
	// The settings passed on to every check are upcheck check's own flags,
	// so that they parse, and their errors read, the same.
	passFlags := flag.NewFlagSet("upcheck matrix", flag.ContinueOnError)
	passFlags.SetOutput(io.Discard)
	o.pass.RegisterFlags(passFlags)
	fs.Func("time-scale", "multiplies every timeout of every check (and each implementation's own time_scale), for slow machines: a `number` > 0", func(v string) error {
		return passFlags.Set("time-scale", v)
	})
	fs.Func("host", "the loopback `address` every check binds, fills {host} with and dials (127.0.0.1, or ::1 for IPv6)", func(v string) error {
		return passFlags.Set("host", v)
	})
	fs.StringVar(&o.only, "only", "", "check only these `IDs` (requirement IDs or protocols, comma-separated), in every implementation")
	fs.StringVar(&o.skip, "skip", "", "leave out these `IDs` (requirement IDs or protocols, comma-separated), in every implementation")
	fs.StringVar(&o.seed, "seed", "", "the random `seed` of every check (its cases and their order), to repeat a matrix")
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "upcheck matrix: "+format+"\n", args...)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(stderr)
			matrixUsage(fs)
			return exitPass
		}
		return fail("%v (upcheck matrix -h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (the implementations go in the -config file)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.from != "" {
		for _, name := range matrixRunFlags {
			if set[name] {
				return fail("-%s does not go with -from: -from renders reports made elsewhere and runs nothing", name)
			}
		}
		cols, err := matrix.FromDir(o.from, o.out)
		if err != nil {
			return fail("-from: %v", err)
		}
		return renderMatrix(cols, o.out, stdout, stderr)
	}

	if o.parallel < 1 {
		return fail("-parallel %d: must be at least 1", o.parallel)
	}
	if err := o.pass.Validate(); err != nil {
		return fail("%v", err)
	}
	// Each check builds its filter from -only and -skip; checked here, a
	// bad word is one line before any run.
	if _, err := labelFilter(o.only, o.skip); err != nil {
		return fail("%v", err)
	}
	if o.seed != "" {
		if _, err := strconv.ParseInt(o.seed, 10, 64); err != nil {
			return fail("-seed: %q is not a number", o.seed)
		}
	}
	cfg, err := matrix.Load(o.config)
	if errors.Is(err, os.ErrNotExist) && !set["config"] {
		return fail("no %s here: give the implementations to check with -config FILE, or reports made elsewhere with -from DIR", o.config)
	}
	if err != nil {
		return fail("%v", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fail("cannot find upcheck's own binary to run its checks: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fail("%v", err)
	}
	var extra []string
	for _, kv := range [][2]string{{"only", o.only}, {"skip", o.skip}, {"seed", o.seed}} {
		if kv[1] != "" {
			extra = append(extra, "--"+kv[0], kv[1])
		}
	}
	return withSignals(func(ctx context.Context) int {
		cols := matrix.Run(ctx, cfg, matrix.RunOptions{
			Check:    selfCheck(self, wd, o.pass, extra),
			Dir:      filepath.Join(o.out, "reports"),
			Out:      o.out,
			Parallel: o.parallel,
			Log:      stderr,
		})
		return renderMatrix(cols, o.out, stdout, stderr)
	})
}

// selfCheck checks an implementation with this binary's check, run in dir
// (where the server command runs) with the implementation's settings, the
// settings of pass (its time scale multiplying the implementation's) and
// the flags extra. The run's output goes to a .log beside the report.
func selfCheck(self, dir string, pass target.Settings, extra []string) matrix.Check {
	return func(ctx context.Context, im matrix.Implementation, js string) (*report.Report, error) {
		jsPath, md := report.Paths(js)
		for _, p := range []string{jsPath, md, report.HTMLPath(jsPath)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		if err := os.MkdirAll(filepath.Dir(jsPath), 0o755); err != nil {
			return nil, err
		}
		logPath := strings.TrimSuffix(jsPath, filepath.Ext(jsPath)) + ".log"
		logFile, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		defer logFile.Close()
		cmd := exec.CommandContext(ctx, self, checkArgs(im, pass, extra, jsPath)...)
		cmd.Dir = dir
		cmd.Env = suiterun.CleanEnv(os.Environ())
		cmd.Stdout, cmd.Stderr = logFile, logFile
		// Interrupted, check stops its server and writes what it judged;
		// killed, it would leave the server running.
		ownGroup(cmd)
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
		cmd.WaitDelay = 20 * time.Second
		runErr := cmd.Run()
		if _, err := os.Stat(jsPath); err != nil {
			why := "exited without a report"
			if runErr != nil {
				why = runErr.Error() + ", without a report"
			}
			if last := lastLine(logPath); last != "" {
				why += ": " + last
			}
			return nil, fmt.Errorf("upcheck check %s (output in %s)", why, logPath)
		}
		return report.Read(jsPath)
	}
}

// checkArgs are the arguments of upcheck check for implementation im with
// its report at js: im's settings, those of pass (its time scale
// multiplying im's), and the flags extra.
func checkArgs(im matrix.Implementation, pass target.Settings, extra []string, js string) []string {
	s := im.Settings()
	if pass.TimeScale != 0 {
		s.TimeScale = max(s.TimeScale, target.DefaultTimeScale) * pass.TimeScale
	}
	s.Host = pass.Host
	s.Report = js
	return append(append([]string{"check"}, s.Args()...), extra...)
}

// lastLine returns the last line of the file at path that is not blank,
// or "".
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

// renderMatrix writes out/matrix.md and out/matrix.html, prints the
// Markdown and the matrix's one-line summary, and returns the matrix's
// exit status.
func renderMatrix(cols []matrix.Column, out string, stdout, stderr io.Writer) int {
	md := matrix.Markdown(cols)
	page, err := matrix.HTML(cols)
	if err != nil {
		fmt.Fprintf(stderr, "upcheck matrix: %v\n", err)
		return exitUsage
	}
	mdPath, htmlPath := filepath.Join(out, "matrix.md"), filepath.Join(out, "matrix.html")
	err = os.MkdirAll(out, 0o755)
	if err == nil {
		err = os.WriteFile(mdPath, []byte(md), 0o644)
	}
	if err == nil {
		err = os.WriteFile(htmlPath, page, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "upcheck matrix: %v\n", err)
		return exitUsage
	}
	fmt.Fprint(stdout, md)
	fmt.Fprintf(stderr, "%s; matrix: %s, %s\n", matrix.Line(cols), mdPath, htmlPath)
	return matrix.ExitStatus(cols)
}

func matrixUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: upcheck matrix [flags]

Checks several servers and shows their reports side by side: one row per
requirement, one column per server, in OUT/matrix.md and OUT/matrix.html (one
self-contained page to open in a browser).

  upcheck matrix --config matrix.json --out matrix   check every server listed
  upcheck matrix --from reports --out matrix         render reports made elsewhere

With --config, it runs "upcheck check" once per implementation the file
lists (this binary: nothing else is needed), writes each report to
OUT/reports/NAME.json (with .md, .html and the run's .log beside it), then
renders the matrix. The file:

  {"implementations": [
    {"name": "mine", "command": "node server.js --tcp {tcp} --udp {udp}",
     "note": "our server", "requires": ["node"], "expect_fail": "UDP-SOURCE"},
    {"name": "reference", "command": "upcheck serve -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}"}
  ]}

name heads the column (letters, digits, '.', '_' and '-'); command is the
--server-cmd that starts the server, run in this directory; note goes under
the name; requires lists programs that must be on PATH, or the implementation
is skipped; udp_max, time_scale and expect_fail are its --udp-max,
--time-scale and --expect-fail.

With --from DIR, it runs nothing: it renders the JSON reports in DIR that
"upcheck check --report DIR/NAME.json" wrote elsewhere (one CI job per
implementation, say), each column named NAME after its file.

Exit status: 0 every implementation passed its MUST requirements, or failed
only those its expect_fail names; 1 one failed a MUST requirement, or passed
one it was expected to fail; 2 a usage error, a bad file or report, or an
implementation that could not be judged (a server that never came up) and
none that failed. Skipped implementations do not count. The matrix is
rendered whatever the verdicts. Flags take one dash or two.

Flags:
`)
	fs.PrintDefaults()
}
