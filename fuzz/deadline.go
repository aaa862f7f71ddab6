package fuzz

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// A run (a go test of the properties, a go test -fuzz of a native target)
// has an end, and no case may wait past it: every case runs under a context
// that ends at its own limit (caseTimeoutFor) or at the run's end, whichever
// comes first. A case cut by its own limit stalled, and that is a finding
// (errStalled); a case cut by the run's end is not judged at all
// (errOutOfTime): the fuzz function skips it, so that the fuzzing engine,
// which waits for the input in flight when its -fuzztime is up, and go
// test's -timeout, which kills the whole binary, never wait on a server.
//
// The run's end is the earliest of:
//
//   - go test's -timeout, less a margin for ending cleanly (the test's
//     own Deadline, which rapid uses to stop drawing cases in time);
//   - under go test -fuzz with a duration -fuzztime, the moment the
//     fuzzing engine stops: the coordinator process, which starts the
//     engine, passes it to its worker processes in endEnv, since a
//     worker (started, and restarted, later) cannot tell it otherwise.
//
// TestMain sets it (beginRun); a process that does not, such as a libFuzzer
// build or cmd/replay, has no end but each case's limit.

// endEnv passes the run's end from a go test -fuzz coordinator to its
// workers, which inherit its environment: RFC 3339 with nanoseconds.
const endEnv = "UPCHECK_FUZZ_END"

var theRun struct {
	mu  sync.Mutex
	end time.Time // zero: none
}

// runEnd returns the run's end, and false when the run has none.
func runEnd() (time.Time, bool) {
	theRun.mu.Lock()
	defer theRun.mu.Unlock()
	return theRun.end, !theRun.end.IsZero()
}

// setRunEnd sets the run's end; the zero time removes it.
func setRunEnd(t time.Time) {
	theRun.mu.Lock()
	defer theRun.mu.Unlock()
	theRun.end = t
}

// beginRun sets the run's end from go test's flags (parsed) and from endEnv
// (a fuzzing worker's coordinator, or cmd/campaign, sets it); a fuzzing
// coordinator, which calls it just before the engine starts, sets endEnv
// for its workers. start is when the test binary started.
func beginRun(start time.Time) {
	var end time.Time
	if d := flagDuration("test.timeout"); d > 0 {
		end = start.Add(d - timeoutMargin(d))
	}
	if v := os.Getenv(endEnv); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			end = earliest(end, t)
		}
	}
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" && !fuzzWorker() {
		if d := flagDuration("test.fuzztime"); d > 0 {
			end = earliest(end, time.Now().Add(d))
			os.Setenv(endEnv, end.Format(time.RFC3339Nano))
		}
	}
	setRunEnd(end)
}

// timeoutMargin is the part of go test's -timeout d that the run leaves for
// ending cleanly: reporting, and stopping the target.
func timeoutMargin(d time.Duration) time.Duration {
	return min(max(d/20, 2*time.Second), 15*time.Second, d/2)
}

// flagDuration returns the duration flag name holds, 0 when it is not set,
// not a duration (-fuzztime=100x) or not a flag of this binary.
func flagDuration(name string) time.Duration {
	f := flag.Lookup(name)
	if f == nil {
		return 0
	}
	d, err := time.ParseDuration(f.Value.String())
	if err != nil {
		return 0
	}
	return d
}

// earliest returns the earlier of a and b, the zero time meaning never.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// timeLeft returns how long the run has left, and false when it has no end.
func timeLeft() (time.Duration, bool) {
	end, ok := runEnd()
	if !ok {
		return 0, false
	}
	return time.Until(end), true
}

// caseContext returns the context of one run of a case with the given
// limit: it ends at the limit or at the run's end, whichever is first. cut
// reports that the run's end comes first.
func caseContext(limit time.Duration) (ctx context.Context, cancel context.CancelFunc, cut bool) {
	deadline := time.Now().Add(limit)
	if end, ok := runEnd(); ok && end.Before(deadline) {
		deadline, cut = end, true
	}
	ctx, cancel = context.WithDeadline(context.Background(), deadline)
	return ctx, cancel, cut
}

// errOutOfTime is the outcome of a case the run's end cut short: it is not
// judged, and the fuzz function skips it.
var errOutOfTime = errors.New("not judged: the run's time is up")

// errStalled is the outcome of a case that did not end within its limit:
// the server neither answered nor failed in a way the checks could judge
// in that time. The text holds the limit, not the time taken, so that the
// same stall fails the same way every time and rapid can shrink it.
func errStalled(limit time.Duration) error {
	return fmt.Errorf("%w: no progress for %v (the case did not end within its time limit)", errStall, limit)
}

// errStall is what every errStalled wraps: a finding of its own, neither a
// violation of one requirement nor a harness error.
var errStall = errors.New("stalled")

// IsStall reports whether a property's failure text is a stall
// (errStalled): a finding on the server that names no requirement, and no
// harness error either.
func IsStall(failure string) bool { return strings.HasPrefix(failure, errStall.Error()+":") }
