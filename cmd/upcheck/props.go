package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/cmd/internal/campaign"
	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

// runProperties runs fuzz's rapid properties compiled in, for upcheck fuzz
// on a machine without the Go toolchain: against the target of the
// UPCHECK_* settings, for RAPID_CHECKS cases each (RAPID_SEED repeats a
// run). Fail files are not written: there is no checkout to write them in.
// It returns 0 when every property passed, 1 when one failed, 2 when the
// target could not be started.
func runProperties(stdout, stderr io.Writer) int {
	// rapid asks testing.Short, which wants the testing flags registered
	// and parsed.
	testing.Init()
	if err := flag.CommandLine.Parse(nil); err != nil {
		fmt.Fprintf(stderr, "upcheck fuzz: %v\n", err)
		return exitUsage
	}
	if err := flag.CommandLine.Set("rapid.nofailfile", "true"); err != nil {
		fmt.Fprintf(stderr, "upcheck fuzz: %v\n", err)
		return exitUsage
	}
	if _, err := fuzz.Target(); err != nil {
		fmt.Fprintf(stderr, "upcheck fuzz: harness error: %v\n", err)
		return exitUsage
	}
	defer fuzz.Close()
	code := exitPass
	var explored []fuzzspec.Explored
	for _, p := range fuzz.Properties {
		t := &propT{name: p.Name, progress: stderr}
		done := make(chan bool)
		go func() {
			ran := false
			defer func() { done <- ran }()
			ran = p.Check(t)
		}()
		switch ran := <-done; {
		case t.Failed():
			fmt.Fprintf(stdout, "FAIL %s (%s)\n%s\n", p.Name, strings.Join(p.IDs, ", "), t.text())
			code = exitFail
		case !ran:
			fmt.Fprintf(stdout, "SKIP %s: the target does not serve its protocol\n", p.Name)
		case t.skipped:
			fmt.Fprintf(stdout, "SKIP %s: %s\n", p.Name, cmp.Or(t.why, "skipped"))
		default:
			fmt.Fprintf(stdout, "PASS %s (%s)\n", p.Name, strings.Join(p.IDs, ", "))
		}
		explored = append(explored, t.explored...)
	}
	campaign.WriteExplored(stdout, explored)
	return code
}

// propT is the rapid.TB of a property run outside go test: it keeps what
// rapid reports, and ends the property's goroutine where a *testing.T
// would end the test.
type propT struct {
	name    string
	mu      sync.Mutex
	out     strings.Builder
	failed  bool
	skipped bool
	why     string // why it skipped
	// progress is where the property's progress lines are printed as
	// they come (the terminal); explored holds what it said it covered.
	progress io.Writer
	explored []fuzzspec.Explored
}

func (t *propT) Helper()      {}
func (t *propT) Name() string { return t.name }

func (t *propT) Logf(format string, args ...any) { t.Log(fmt.Sprintf(format, args...)) }
func (t *propT) Log(args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	text := fmt.Sprintln(args...)
	if x, prefix, ok := fuzzspec.ParseExplored(strings.TrimSuffix(text, "\n")); ok {
		if prefix == fuzzspec.ProgressPrefix && t.progress != nil {
			fmt.Fprintln(t.progress, campaign.ProgressLine(x, time.Now(), time.Time{}))
		} else if prefix == fuzzspec.ExploredPrefix {
			t.explored = append(t.explored, x)
		}
		return
	}
	t.out.WriteString(text)
}
func (t *propT) Errorf(format string, args ...any) { t.Logf(format, args...); t.Fail() }
func (t *propT) Error(args ...any)                 { t.Log(args...); t.Fail() }
func (t *propT) Fatalf(format string, args ...any) { t.Logf(format, args...); t.FailNow() }
func (t *propT) Fatal(args ...any)                 { t.Log(args...); t.FailNow() }
func (t *propT) Skipf(format string, args ...any)  { t.skip(fmt.Sprintf(format, args...)) }
func (t *propT) Skip(args ...any)                  { t.skip(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

func (t *propT) skip(why string) {
	t.Log(why)
	t.mu.Lock()
	t.why = why
	t.mu.Unlock()
	t.SkipNow()
}

func (t *propT) SkipNow() {
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *propT) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}

func (t *propT) FailNow() {
	t.Fail()
	runtime.Goexit()
}

func (t *propT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *propT) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimRight(t.out.String(), "\n")
}
