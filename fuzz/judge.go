package fuzz

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// judge runs c and fails t with the deterministic text of what went wrong:
// the violations the connections saw, or the server command dying on it.
//
// Rapid shrinks a failure only if every run of the failing case fails the
// same way, and a server's timing can make the same script fail one run and
// pass the next (bytes written in two writes may reach it in one read or in
// two). So:
//
//   - a failure counts only if it repeats: c runs again at once,
//     confirmRuns times, and must fail with the same text each time. One that does not (a crash a moment late,
//     blamed on the next input; a race the server wins once) is logged and
//     saved as unconfirmed (named with fuzzspec.UnconfirmedSuffix), and c passes;
//   - a confirmed failure is remembered in m (nil: not remembered), for
//     this target: when rapid runs the same case again, to reproduce it
//     before shrinking and to check each smaller case it keeps, judge
//     reports the remembered failure instead of asking the server again.
//
// In a go test -fuzz worker, which has 10 s per input, c runs once and is
// not remembered: the fuzzing engine runs a failing input again itself as
// it minimizes it.
//
// A confirmed failure is saved under the failure directory, unless h.NoSave,
// and the command that replays it is logged.
func judge(t reporter, property string, c *Case, e check.Env, h Hooks, m *memory) {
	native := fuzzWorker()
	key := caseKey(property, e, c)
	f, seen := m.recall(key)
	if seen && !native {
		// Save the case again: the file holds the failing case reported
		// last, which, after rapid has shrunk a failure, is the smallest.
		c.Property, c.Failure = property, f.failure
		if !h.NoSave {
			c.Save(property)
		}
		for _, l := range f.logs {
			t.Logf("%s", l)
		}
	} else {
		var skip bool
		f, skip = try(&logRecorder{t: t}, property, c, e, h, !native)
		if skip {
			if h.outOfTime != nil && !m.any() {
				h.outOfTime()
			}
			t.Skip(errOutOfTime.Error())
		}
		h.explorer.ran(c, e.UDPMax, f.failure != "")
		if f.failure == "" {
			return
		}
		if !native {
			m.remember(key, f)
		}
	}
	t.Fatalf("%s", f.failure)
}

// finding is a confirmed failure and the lines logged while finding it.
type finding struct {
	failure string
	logs    []string
}

// confirmRuns is how many more times a failing case runs, and fails the
// same way, before its failure counts. Two make a failure that happens at
// random half the time one that counts an eighth of the time, and steer
// rapid toward cases that fail every time.
const confirmRuns = 2

// try runs c (again confirmRuns times when it fails and confirm is set) and
// returns the confirmed failure, or a zero finding; skip reports that the
// run's end cut a run of c short, so that c cannot be judged.
func try(t *logRecorder, property string, c *Case, e check.Env, h Hooks, confirm bool) (f finding, skip bool) {
	err := outcome(t, property, c, e, h)
	if err == nil {
		return finding{}, false
	}
	if errors.Is(err, errOutOfTime) {
		return finding{}, true
	}
	c.Property, c.Failure = property, err.Error()
	for i := 0; confirm && i < confirmRuns; i++ {
		again := outcome(t, property, c, e, h)
		if errors.Is(again, errOutOfTime) {
			return finding{}, true
		}
		if again != nil && again.Error() == err.Error() {
			continue
		}
		then := "then passed"
		if again != nil {
			then = "then: " + again.Error()
		}
		t.Logf("unconfirmed failure, not reported: it did not repeat:\n%v\n%s", err, then)
		if !h.NoSave {
			if path, serr := c.Save(property + fuzzspec.UnconfirmedSuffix); serr != nil {
				t.Logf("cannot save the case: %v", serr)
			} else {
				t.Logf("unconfirmed, replay: %s", fuzzspec.ReplayCommand(path))
			}
		}
		return finding{}, false
	}
	t.Logf("%s%s", fuzzspec.CasePrefix, c)
	if !h.NoSave {
		if path, serr := c.Save(property); serr != nil {
			t.Logf("cannot save the case: %v", serr)
		} else {
			t.Logf("replay: %s", fuzzspec.ReplayCommand(path))
		}
	}
	return finding{failure: err.Error(), logs: t.lines}, false
}

// How long outcome keeps asking whether the server died, and how often.
const (
	// crashSettle is for a case that failed: a crash shows to the clients
	// before the process is reaped.
	crashSettle = 200 * time.Millisecond
	// abruptSettle is for a case with a connection that ended without
	// waiting for its replies (a reset or an abrupt close): the server
	// reads those bytes, and may crash on them, as the script ends. It is
	// short because it is paid by every such case of a server that does
	// not crash; a crash it misses fails the next case, which does not
	// fail again and so goes unconfirmed.
	abruptSettle = 40 * time.Millisecond
	settlePoll   = 10 * time.Millisecond
)

// outcome runs c once, against the target as h.Env gives it now (else
// e), and returns what went wrong, or nil: the server dying on it (its
// headline, which names the requirement the death is blamed on; its output
// goes to t's log), or else the violations the connections saw, one a
// line, each naming its requirement. Anything else is a harness error,
// said so (HarnessPrefix): the check could not judge the server (a context
// deadline, a socket it could not open, a server that could not be
// restarted). FailureIDs tells them apart.
func outcome(t reporter, property string, c *Case, e check.Env, h Hooks) error {
	if h.Env != nil {
		e = h.Env(e.Logf)
	}
	err, herr := runChecked(c, e, h.Healthy)
	if herr == nil {
		if err != nil && len(check.AsViolations(err)) == 0 && !errors.Is(err, errOutOfTime) && !errors.Is(err, errStall) {
			return errors.New(HarnessPrefix + err.Error())
		}
		return err
	}
	// The server command died on this input: that is the failure, whatever
	// the connections saw as it went. The headline is deterministic; the
	// server's last output goes to the log.
	var down *target.DownError
	if errors.As(herr, &down) {
		t.Logf("server output:\n%s", down.Output)
		return errors.New(down.Headline())
	}
	return errors.New(HarnessPrefix + herr.Error())
}

// HarnessPrefix starts a property's failure that is no verdict on the
// server: the check could not judge it.
const HarnessPrefix = "harness error: "

// FailureIDs returns the requirements a property's failure names, in order
// of appearance: the requirement of each violation line ("TCP-EOF [case]:
// expected ...; observed ..."), or the one a server's death is blamed on
// ("server exited (status 2) while checking TCP-RESET"). A harness error
// (HarnessPrefix) names none, nor does any other text, such as a panic's:
// neither is a verdict on the server.
func FailureIDs(failure string) []string {
	var ids []string
	add := func(id string) {
		if _, ok := check.Lookup(id); ok && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if strings.HasPrefix(failure, HarnessPrefix) {
		return nil
	}
	if m := deathRE.FindStringSubmatch(failure); m != nil {
		add(m[1])
		return ids
	}
	for l := range strings.SplitSeq(failure, "\n") {
		if m := violationRE.FindStringSubmatch(l); m != nil {
			add(m[1])
		}
	}
	return ids
}

var (
	// violationRE matches check.Violation's text.
	violationRE = regexp.MustCompile(`^([A-Z]+-[A-Z]+)(?: \[.*\])?: expected `)
	// deathRE matches target.DownError's headline.
	deathRE = regexp.MustCompile(`^server [^\n]* while checking ([A-Z]+-[A-Z]+)(?:;|$|\n)`)
)

// blame is the requirement a server's death during c is blamed on, as the
// suites blame the requirement a spec checks and check.RunTCP blames a
// server that stops serving after a script: for a TCP case, TCP-RESET when
// a connection of it resets, else TCP-DISCONNECT when one closes without
// waiting for its replies, else TCP-STREAM (a connection's reply stream
// ended before its request's); for a UDP case, UDP-SURVIVE.
func blame(c *Case) string {
	if c.TCP == nil {
		return "UDP-SURVIVE"
	}
	id := "TCP-STREAM"
	for _, cs := range c.TCP.Conns {
		for _, st := range cs.Steps {
			switch {
			case st.Op == check.Reset:
				return "TCP-RESET"
			case st.Op == check.Close:
				id = "TCP-DISCONNECT"
			}
			if st.Op >= check.HalfClose {
				break
			}
		}
	}
	return id
}

// runChecked runs c once against e and returns the violations the
// connections saw and, when healthy is set, what it says about the server
// afterwards, asked about the requirement a death is blamed on (blame).
//
// The case runs under caseContext: one that does not end within its limit
// returns errStalled, one cut by the run's end errOutOfTime. Neither asks
// whether the server died: a stalled server is alive and stuck, and asking
// it again would only wait on it once more; a run out of time has none to
// spend.
func runChecked(c *Case, e check.Env, healthy func(string) error) (violations, down error) {
	limit := caseTimeoutFor(e)
	ctx, cancel, cut := caseContext(limit)
	defer cancel()
	if ctx.Err() != nil {
		return errOutOfTime, nil
	}
	err := c.Run(ctx, e)
	if deadline, _ := ctx.Deadline(); !time.Now().Before(deadline) {
		if cut {
			return errOutOfTime, nil
		}
		if e.Logf != nil {
			e.Logf("case stopped at its limit of %v; what it saw by then: %v", limit, err)
		}
		return errStalled(limit), nil
	}
	if healthy == nil {
		return err, nil
	}
	id := blame(c)
	// A server that crashes shows it to its clients (an EOF, a reset) a
	// moment before its process is reaped; one that crashes on bytes of a
	// connection the script reset or closed does it a moment after the
	// script is done. Ask again until that moment has passed, so that a
	// crash is blamed on the input that caused it and the same input fails
	// with the same text. The moment counts from the case's end: a health
	// check that alone took longer (a server that accepts and does not
	// answer) is not made again.
	var settle time.Duration
	switch {
	case err != nil:
		settle = crashSettle
	case abrupt(c):
		settle = abruptSettle
	}
	settled := time.Now().Add(e.T(settle))
	if end, ok := runEnd(); ok {
		settled = earliest(settled, end)
	}
	herr := healthy(id)
	for herr == nil && time.Now().Before(settled) {
		time.Sleep(e.T(settlePoll))
		herr = healthy(id)
	}
	return err, herr
}

// abrupt reports whether a connection of c's script ends without waiting
// for the replies to what it wrote: after a reset or an abrupt close the
// server may still be reading.
func abrupt(c *Case) bool {
	if c.TCP == nil {
		return false
	}
	for _, cs := range c.TCP.Conns {
		wrote, end := false, check.Read
		for _, st := range cs.Steps {
			if st.Op == check.Write && len(st.Data) > 0 {
				wrote = true
			}
			if st.Op >= check.HalfClose {
				end = st.Op
				break
			}
		}
		if wrote && (end == check.Reset || end == check.Close) {
			return true
		}
	}
	return false
}

// caseTimeoutFor bounds one run of a case against e: caseTimeout scaled,
// and at most nativeTimeout in a go test -fuzz worker.
func caseTimeoutFor(e check.Env) time.Duration {
	d := e.T(caseTimeout)
	if fuzzWorker() {
		d = min(d, nativeTimeout)
	}
	return d
}

// fuzzWorker reports whether this process is a go test -fuzz worker.
func fuzzWorker() bool {
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// logRecorder passes log lines on to t and keeps them, so that a
// remembered failure can show them again.
type logRecorder struct {
	t     reporter
	lines []string
}

func (r *logRecorder) Logf(format string, args ...any) {
	l := fmt.Sprintf(format, args...)
	r.lines = append(r.lines, l)
	r.t.Logf("%s", l)
}

func (r *logRecorder) Fatalf(format string, args ...any) { r.t.Fatalf(format, args...) }

func (r *logRecorder) Skip(args ...any) { r.t.Skip(args...) }

// maxRemembered bounds the failures a memory holds; past it, the oldest
// are forgotten.
const maxRemembered = 1024

// memory holds the confirmed failures of one run of a property (one
// rapid.Check), by caseKey. A nil memory remembers nothing.
type memory struct {
	mu    sync.Mutex
	m     map[[32]byte]finding
	order [][32]byte
}

func (m *memory) recall(key [32]byte) (finding, bool) {
	if m == nil {
		return finding{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.m[key]
	return f, ok
}

// any reports whether m holds a failure.
func (m *memory) any() bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m) > 0
}

func (m *memory) remember(key [32]byte, f finding) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[[32]byte]finding{}
	}
	if _, ok := m.m[key]; ok {
		return
	}
	if len(m.order) >= maxRemembered {
		delete(m.m, m.order[0])
		m.order = m.order[1:]
	}
	m.m[key] = f
	m.order = append(m.order, key)
}

// caseKey identifies c run by property against the servers of e.
func caseKey(property string, e check.Env, c *Case) [32]byte {
	b, err := json.Marshal(struct {
		P, TCP, UDP string
		Max         int
		C           *Case
	}{property, e.TCP, e.UDP, e.UDPMax, &Case{TCP: c.TCP, UDP: c.UDP}})
	if err != nil {
		panic(err) // a Case always marshals
	}
	return sha256.Sum256(b)
}
