package matrix

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// Column is what the matrix knows of one implementation.
type Column struct {
	Implementation
	// Skipped, when set, says why the implementation was not checked.
	Skipped string
	// Err, when set, says why its run could not be made or read.
	Err string
	// Report is its conformance report; nil when skipped or on Err.
	Report *report.Report
	// ReportFile is its Markdown report, relative to the matrix's own
	// files; "" when there is none.
	ReportFile string
	// Elapsed is how long its run took.
	Elapsed time.Duration
}

// RunOptions say how to check the implementations.
type RunOptions struct {
	// Suites is the suites' test binary (suiterun.BuildSuites).
	Suites string
	// Root is the module root, where the server commands run.
	Root string
	// Dir is where each implementation's reports go: Dir/NAME.json and
	// Dir/NAME.md, with ginkgo's report and the run's log beside them.
	Dir string
	// Parallel is how many implementations are checked at once; 0 or
	// less means 1.
	Parallel int
	// LookPath finds a required program; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// Log, if set, gets a line as each run starts and ends.
	Log io.Writer
}

// Run checks every implementation of c and returns one column each, in
// c's order. It runs the suites once per implementation, o.Parallel at a
// time; a run that cannot be made is a column with Err, not a failure of
// the whole matrix.
func Run(ctx context.Context, c Config, o RunOptions) []Column {
	lookPath := o.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		if o.Log == nil {
			return
		}
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
	cols := make([]Column, len(c.Implementations))
	sem := make(chan struct{}, max(1, o.Parallel))
	var wg sync.WaitGroup
	for i, im := range c.Implementations {
		col := &cols[i]
		col.Implementation = im
		if missing := missingPrograms(im.Requires, lookPath); missing != "" {
			col.Skipped = missing + " is not on PATH"
			logf("matrix: %s: skipped: %s", im.Name, col.Skipped)
			continue
		}
		sem <- struct{}{} // in c's order
		wg.Go(func() {
			defer func() { <-sem }()
			logf("matrix: %s: checking %s", im.Name, im.Command)
			res, err := suiterun.Run(ctx, suiterun.Options{
				Suites:   o.Suites,
				Settings: im.Settings(),
				Report:   filepath.Join(o.Dir, im.Name+".json"),
				Dir:      o.Root,
			})
			if err != nil {
				col.Err = err.Error()
				logf("matrix: %s: %v", im.Name, err)
				return
			}
			col.Report = &res.Report
			col.Elapsed = res.Elapsed
			col.ReportFile = filepath.ToSlash(filepath.Join(filepath.Base(o.Dir), filepath.Base(res.Markdown)))
			logf("matrix: %s: %s (%v)", im.Name, res.Report.Summary(), res.Elapsed.Round(100*time.Millisecond))
		})
	}
	wg.Wait()
	return cols
}

// missingPrograms returns the first program of req not on PATH, or "".
func missingPrograms(req []string, lookPath func(string) (string, error)) string {
	for _, p := range req {
		if _, err := lookPath(p); err != nil {
			return p
		}
	}
	return ""
}
