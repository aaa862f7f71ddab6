package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/upcheck/upcheck/suites/report"
)

// Check checks one implementation: it runs the conformance suite against
// im's settings, writes the reports to the path report (the JSON, with the
// Markdown twin beside it as report.Paths says) and returns the
// conformance report. A server that fails is a report, not an error; the
// error is for a run that could not be made or left no report, in one
// line.
type Check func(ctx context.Context, im Implementation, report string) (*report.Report, error)

// RunOptions say how to check the implementations.
type RunOptions struct {
	// Check checks one implementation.
	Check Check
	// Dir is where each implementation's reports go: Dir/NAME.json and
	// Dir/NAME.md, with whatever else Check writes beside them.
	Dir string
	// Out is where the matrix's own files go, to which the columns' links
	// to their reports are relative; "" means Dir.
	Out string
	// Parallel is how many implementations are checked at once; 0 or
	// less means 1.
	Parallel int
	// LookPath finds a required program; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// Log, if set, gets a line as each run starts and ends.
	Log io.Writer
}

// Run checks every implementation of c and returns one column each, in
// c's order. It runs o.Check once per implementation, o.Parallel at a
// time; a run that cannot be made is a column with Err, not a failure of
// the whole matrix. When ctx is done, the runs still to start are columns
// with Err, and those running end as Check ends them.
func Run(ctx context.Context, c Config, o RunOptions) []Column {
	lookPath := o.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	out := o.Out
	if out == "" {
		out = o.Dir
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
		if err := ctx.Err(); err != nil {
			<-sem
			col.Err = "not run: " + context.Cause(ctx).Error()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			logf("matrix: %s: checking %s", im.Name, im.Command)
			js, md := report.Paths(filepath.Join(o.Dir, im.Name+".json"))
			begin := time.Now()
			rep, err := checkOne(ctx, o.Check, im, js)
			if err != nil {
				col.Err = err.Error()
				logf("matrix: %s: %v", im.Name, err)
				return
			}
			col.Report = rep
			col.Elapsed = time.Since(begin)
			col.ReportFile = link(out, md)
			logf("matrix: %s: %s (%v)", im.Name, col.Summary(), col.Elapsed.Round(100*time.Millisecond))
		})
	}
	wg.Wait()
	return cols
}

// checkOne runs f, refusing a nil report.
func checkOne(ctx context.Context, f Check, im Implementation, js string) (*report.Report, error) {
	if f == nil {
		return nil, errors.New("matrix: no Check to run")
	}
	rep, err := f(ctx, im, js)
	if err == nil && rep == nil {
		err = errors.New("no conformance report")
	}
	return rep, err
}

// link returns the path of file relative to dir, slash-separated for a
// link, or "" when file does not exist or has no such path.
func link(dir, file string) string {
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	absDir, err1 := filepath.Abs(dir)
	absFile, err2 := filepath.Abs(file)
	rel, err := filepath.Rel(absDir, absFile)
	if err1 != nil || err2 != nil || err != nil {
		return ""
	}
	return filepath.ToSlash(rel)
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
