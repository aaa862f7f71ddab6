package hostile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// suiteTimeout bounds one run of the suite binary against a hostile server
// command: reaching it means the harness hung.
const suiteTimeout = 2 * time.Minute

// maxSuiteRSS bounds the suite process's peak memory against a hostile
// server: the reference takes about 100 MiB.
const maxSuiteRSS = 384 << 20

// suiteRun is what one run of the suite binary did.
type suiteRun struct {
	code    int
	out     string
	report  report.Report
	elapsed time.Duration
	maxRSS  int64 // bytes
}

// watchHWM samples the peak resident memory of process pid (VmHWM in its
// /proc status, which belongs to its own memory since its exec) into *hwm
// every 20 ms until the returned stop is called, and once more then.
func watchHWM(pid int, hwm *int64) (stop func()) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	sample := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb<<10 > *hwm {
					*hwm = kb << 10
				}
			}
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// runSuite runs the conformance suite's test binary against the server
// command cmd (in UPCHECK_SERVER_CMD's syntax), with only the specs that
// labels selects, at the time scale of these tests.
func runSuite(t *testing.T, cmd, labels string) suiteRun {
	t.Helper()
	suite, _ := build(t)
	rep := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), slow.Bound(suiteTimeout))
	defer cancel()
	args := append([]string{"-ginkgo.no-color", "-ginkgo.label-filter=" + labels},
		target.Settings{ServerCmd: cmd, TimeScale: 0.3, Report: rep}.Args()...)
	c := exec.CommandContext(ctx, suite, args...)
	// The suite runs in its package's directory, as go test runs it.
	root, rerr := target.ModuleRoot()
	if rerr != nil {
		t.Fatal(rerr)
	}
	c.Dir = filepath.Join(root, "suites")
	c.Env = suiterun.CleanEnv(os.Environ())
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err := c.Start()
	var hwm int64
	if err == nil {
		stop := watchHWM(c.Process.Pid, &hwm)
		err = c.Wait()
		stop()
	}
	r := suiteRun{out: out.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("the suite did not end within %v:\n%s", slow.Bound(suiteTimeout), tail(r.out))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running the suite: %v", err)
	}
	r.maxRSS = hwm
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok && hwm == 0 {
		// Without /proc: the rusage, which on Linux also holds the
		// peak of the process that started it (exec keeps the old
		// memory's high-water mark), so it can only err high.
		r.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatalf("no conformance report: %v\n%s", err, tail(r.out))
	}
	if err := json.Unmarshal(b, &r.report); err != nil {
		t.Fatalf("conformance report: %v", err)
	}
	t.Logf("suite against %q (%s): exit %d after %v, peak RSS %d MiB", cmd, labels, r.code, r.elapsed.Round(time.Millisecond), r.maxRSS>>20)
	return r
}

// tail is the end of a long output.
func tail(s string) string {
	if len(s) > 6000 {
		return "…" + s[len(s)-6000:]
	}
	return s
}

// TestSuiteAgainstHostileCommands runs the whole conformance suite, as a
// process, against hostile server commands, with a few specs each: the run
// must end in time with a non-zero exit status, every selected requirement
// failed (never passed, never an error of the harness), no spec ended by
// its timeout instead of a verdict, no panic, and bounded memory.
func TestSuiteAgainstHostileCommands(t *testing.T) {
	t.Parallel()
	_, mutantd := build(t)
	for _, tc := range []struct {
		name, args string
		fail       []check.Req // the requirements selected, which must fail; every other one is skipped
		says       []string    // what the output must say
		within     time.Duration
	}{
		{"endless stream", "-mutant Endless -tcp {tcp}",
			[]check.Req{check.ReqTCPRoundTrip, check.ReqTCPStream}, []string{"reply differs from upper(request)"}, 40 * time.Second},
		{"trickle", "-mutant Trickle -tcp {tcp}",
			[]check.Req{check.ReqTCPEOF}, []string{"reply differs from upper(request)"}, 40 * time.Second},
		{"never closes", "-mutant NoCloseOnEOF -tcp {tcp}",
			[]check.Req{check.ReqTCPEOF}, []string{"no EOF within the timeout"}, 40 * time.Second},
		{"dies mid-run", "-mutant DieAfter -tcp {tcp}",
			[]check.Req{check.ReqTCPChurn}, []string{"server exited (status 1) while checking TCP-CHURN", "mutantd: DieAfter: server died: tcp server: dying after 100 connections"}, 40 * time.Second},
		{"hangs mid-run", "-mutant StallAfter -tcp {tcp}",
			[]check.Req{check.ReqTCPChurn}, []string{"then timeout"}, 40 * time.Second},
		{"udp flood", "-mutant Flood -udp {udp}",
			[]check.Req{check.ReqUDPOnce, check.ReqUDPConcurrent, check.ReqUDPRoundTrip}, []string{"observed a datagram longer than"}, 40 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var labels []string
			for _, id := range tc.fail {
				labels = append(labels, string(id))
			}
			r := runSuite(t, mutantd+" "+tc.args, strings.Join(labels, " || "))
			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			if within := slow.Bound(tc.within); r.elapsed > within {
				t.Errorf("the run took %v, more than %v", r.elapsed, within)
			}
			if r.maxRSS > maxSuiteRSS {
				t.Errorf("the suite's peak RSS was %d MiB, more than %d MiB", r.maxRSS>>20, maxSuiteRSS>>20)
			}
			for _, bad := range []string{"[TIMEDOUT]", "[PANICKED]", "panic:", "goroutine "} {
				if strings.Contains(r.out, bad) {
					t.Errorf("the output has %q:\n%s", bad, tail(r.out))
				}
			}
			for _, s := range tc.says {
				if !strings.Contains(r.out, s) {
					t.Errorf("the output does not say %q:\n%s", s, tail(r.out))
				}
			}
			if r.report.HarnessError != "" {
				t.Errorf("harness error: %s", r.report.HarnessError)
			}
			// The selected requirements fail, or are not judged for
			// another that fails; a violation counts against the rule it
			// breaks, so another requirement of the same protocol may fail
			// too. The other protocol's are skipped.
			failed := 0
			proto := ""
			if len(tc.fail) > 0 {
				r0, _ := tc.fail[0].Requirement()
				proto = r0.Proto
			}
			for _, req := range r.report.Requirements {
				selected := slices.Contains(tc.fail, check.Req(req.ID))
				q, _ := check.Lookup(req.ID)
				switch {
				case req.Status == report.Fail:
					failed++
					if !selected && q.Proto != proto {
						t.Errorf("%s: fail (%s), want skip: another protocol", req.ID, req.Observed)
					}
				case selected && req.Status != report.NotJudged:
					t.Errorf("%s: %s (%s), want fail or not-judged", req.ID, req.Status, req.Observed)
				case !selected && req.Status != report.Skip && req.Status != report.NotJudged:
					t.Errorf("%s: %s (%s), want skip", req.ID, req.Status, req.Observed)
				}
			}
			if failed == 0 {
				t.Errorf("no requirement failed, want one of %v", tc.fail)
			}
		})
	}
}
