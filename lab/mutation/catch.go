package mutation

import (
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"pgregory.net/rapid"
)

// Catch runs the rapid property prop with rapid.Check, as a test would,
// and returns what it found instead of failing a test: rapid's verdict and
// log. name is the test name rapid sees (and names fail files by, unless
// -rapid.nofailfile is set). Catch returns when the check is over.
func Catch(name string, prop func(*rapid.T)) *Caught {
	c := &Caught{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				c.Errorf(catchPanic+"%v", r)
			}
		}()
		rapid.Check(c, prop)
	}()
	<-done
	return c
}

// Caught is a rapid.TB that records instead of failing: the messages of
// Error and Fatal, the log, and whether the check failed or was skipped.
// FailNow and SkipNow end the calling goroutine, as testing.T's do, so it
// must run the check in a goroutine of its own (Catch does).
type Caught struct {
	name string

	mu      sync.Mutex
	failed  bool
	skipped bool
	errs    []string
	log     []string
}

// maxLogLines bounds the log a Caught keeps: its first lines, which hold
// the failing case.
const maxLogLines = 200

var _ rapid.TB = (*Caught)(nil)

// Failed reports whether the check failed: the property is falsified.
func (c *Caught) Failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

// Falsified reports whether rapid found a case that fails the property.
// A check that failed only because no valid case could be drawn (every
// case skipped itself: the property's protocol is not served) is not
// falsified.
func (c *Caught) Falsified() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed && !(len(c.errs) > 0 && strings.HasPrefix(c.errs[0], invalidPrefix))
}

// invalidPrefix starts rapid's verdict when too few cases were valid.
const invalidPrefix = "[rapid] only generated"

// Skipped reports whether the check skipped the test (SkipNow); rapid
// does so only for fuzz inputs, not in Check.
func (c *Caught) Skipped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skipped
}

// Errors returns the error messages recorded, rapid's verdict first.
func (c *Caught) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// Failure returns why the check failed, in one line: for a falsified
// property, what the failing case's judge said, without rapid's
// instructions for reproducing it. It is "" when the check passed.
func (c *Caught) Failure() string {
	if !c.Failed() {
		return ""
	}
	return strings.Join(strings.Fields(c.Verdict()), " ")
}

// Verdict returns what the failing case's judge said, its lines kept,
// without rapid's framing ("[rapid] failed after N tests: ") and
// instructions for reproducing it; for a panic, rapid's whole message. It
// is "" when the check passed.
func (c *Caught) Verdict() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.failed {
		return ""
	}
	if len(c.errs) == 0 {
		return "failed"
	}
	msg := c.errs[0]
	// "[rapid] failed after 3 tests: VIOLATION\nTo reproduce, ..."
	if i := strings.Index(msg, "\nTo reproduce"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, "\nTo try to reproduce"); i >= 0 {
		msg = msg[:i]
	}
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "[rapid] failed after") {
		msg = rest
	}
	return strings.TrimSpace(msg)
}

// Panicked reports whether the check failed on a panic (rapid's "[rapid]
// panic after N tests"), in the property or the code it calls: a failure
// of the harness, not a verdict on the server.
func (c *Caught) Panicked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed && len(c.errs) > 0 && (strings.HasPrefix(c.errs[0], "[rapid] panic after") || strings.HasPrefix(c.errs[0], catchPanic))
}

// catchPanic starts the failure of a check whose rapid.Check panicked.
const catchPanic = "panic in rapid.Check: "

// Passed returns how many cases passed before the one that falsified the
// property, as rapid counts them ("failed after N tests"); -1 when the
// property was not falsified.
func (c *Caught) Passed() int {
	if !c.Falsified() {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := passedRE.FindStringSubmatch(c.errs[0])
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var passedRE = regexp.MustCompile(`^\[rapid\] (?:failed|panic) after (\d+) tests`)

// Lines returns the recorded log lines.
func (c *Caught) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

func (c *Caught) Helper()      {}
func (c *Caught) Name() string { return c.name }

func (c *Caught) Logf(format string, args ...any) { c.logLine(fmt.Sprintf(format, args...)) }
func (c *Caught) Log(args ...any)                 { c.logLine(fmt.Sprintln(args...)) }

func (c *Caught) logLine(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.log) < maxLogLines {
		c.log = append(c.log, strings.TrimSuffix(s, "\n"))
	}
}

func (c *Caught) Errorf(format string, args ...any) { c.error(fmt.Sprintf(format, args...)) }
func (c *Caught) Error(args ...any)                 { c.error(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

func (c *Caught) error(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed = true
	c.errs = append(c.errs, s)
}

func (c *Caught) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	c.FailNow()
}

func (c *Caught) Fatal(args ...any) {
	c.Error(args...)
	c.FailNow()
}

// Fail marks the check failed and goes on.
func (c *Caught) Fail() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed = true
}

// FailNow marks the check failed and ends the calling goroutine.
func (c *Caught) FailNow() {
	c.Fail()
	runtime.Goexit()
}

func (c *Caught) Skipf(format string, args ...any) {
	c.logLine(fmt.Sprintf(format, args...))
	c.SkipNow()
}

func (c *Caught) Skip(args ...any) {
	c.logLine(fmt.Sprintln(args...))
	c.SkipNow()
}

// SkipNow marks the check skipped and ends the calling goroutine.
func (c *Caught) SkipNow() {
	c.mu.Lock()
	c.skipped = true
	c.mu.Unlock()
	runtime.Goexit()
}
