package fuzz

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// recorder is a reporter whose Fatalf ends the goroutine, as testing.T's
// does; run calls f in a goroutine of its own and waits for it.
type recorder struct {
	mu    sync.Mutex
	logs  []string
	fatal string
	fail  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal, r.fail = fmt.Sprintf(format, args...), true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.Logf("skip: %s", fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "\n")
}

// run calls f with a new recorder and returns it once f has returned or
// failed.
func run(f func(r *recorder)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// writeThenHalfClose is a one-connection case: write data, half-close.
func writeThenHalfClose(data string) *Case {
	return &Case{TCP: &check.TCPScript{Case: "test", SkipFinalProbe: true, Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: []byte(data)}, {Op: check.HalfClose},
	}}}}}
}

func TestJudgeRemembersConfirmedFailure(t *testing.T) {
	// 'z' stays lowercase: a TCP-BYTES fault.
	addr, stop := serveTCP(t, func(_ bool, p []byte) {
		for i, b := range p {
			if b >= 'a' && b < 'z' {
				p[i] = b - 32
			}
		}
	})
	e := check.Env{TCP: addr}
	mem := new(memory)
	c := writeThenHalfClose("az")

	first := run(func(r *recorder) { judge(r, "P", c, e, Hooks{NoSave: true}, mem) })
	if !first.fail || !strings.Contains(first.fatal, "TCP-BYTES") {
		t.Fatalf("against OffByOneZ: failed %v with %q, want a TCP-BYTES failure", first.fail, first.fatal)
	}
	stop()

	// The server is gone: a remembered failure is reported as it was, a
	// case judged afresh sees the closed port.
	again := run(func(r *recorder) { judge(r, "P", writeThenHalfClose("az"), e, Hooks{NoSave: true}, mem) })
	if again.fatal != first.fatal {
		t.Errorf("same case, same memory: failure %q, want the remembered %q", again.fatal, first.fatal)
	}
	fresh := run(func(r *recorder) { judge(r, "P", writeThenHalfClose("az"), e, Hooks{NoSave: true}, new(memory)) })
	if !fresh.fail || fresh.fatal == first.fatal {
		t.Errorf("same case, new memory: failure %q, want one about the closed server", fresh.fatal)
	}
	other := run(func(r *recorder) { judge(r, "P", writeThenHalfClose("zz"), e, Hooks{NoSave: true}, mem) })
	if other.fatal == first.fatal {
		t.Errorf("another case, same memory: failure %q, want it judged afresh", other.fatal)
	}
}

// onceWrong serves TCP: the first connection gets its bytes back
// unchanged, every later one uppercased.
func onceWrong(t *testing.T) string {
	addr, _ := serveTCP(t, func(first bool, p []byte) {
		if !first {
			servers.UpperASCII(p)
		}
	})
	return addr
}

// serveTCP serves TCP on loopback until stop (or the test's end): each
// read is passed through transform, told whether its connection was the
// first, and written back; a connection ends at the client's EOF.
func serveTCP(t *testing.T, transform func(first bool, p []byte)) (addr string, stop func()) {
	t.Helper()
	ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			first := n.Add(1) == 1
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 1024)
				for {
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					transform(first, buf[:k])
					if _, err := c.Write(buf[:k]); err != nil {
						return
					}
				}
			})
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ln.Close()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

func TestJudgeDoesNotReportAFailureThatDoesNotRepeat(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("UPCHECK_FUZZ_FAILURES", dir)
	e := check.Env{TCP: onceWrong(t)}
	r := run(func(r *recorder) { judge(r, "Once", writeThenHalfClose("abc"), e, Hooks{}, new(memory)) })
	if r.fail {
		t.Fatalf("a failure that did not repeat was reported: %s", r.fatal)
	}
	if !strings.Contains(r.log(), "unconfirmed failure, not reported") {
		t.Errorf("log does not say the failure went unconfirmed:\n%s", r.log())
	}
	c, err := LoadCase(filepath.Join(dir, "Once"+fuzzspec.UnconfirmedSuffix+".json"))
	if err != nil {
		t.Fatalf("unconfirmed case not saved: %v", err)
	}
	if !strings.Contains(c.Failure, "TCP-BYTES") {
		t.Errorf("saved failure %q, want the TCP-BYTES violation of the first run", c.Failure)
	}
	if _, err := os.Stat(filepath.Join(dir, "Once.json")); err == nil {
		t.Errorf("an unconfirmed failure was saved as a confirmed one")
	}
}

func TestAbrupt(t *testing.T) {
	conn := func(data string, end check.TCPOp) check.TCPConnScript {
		return check.TCPConnScript{Steps: []check.TCPStep{{Op: check.Write, Data: []byte(data)}, {Op: end}}}
	}
	for _, tc := range []struct {
		name  string
		conns []check.TCPConnScript
		want  bool
	}{
		{"half-close", []check.TCPConnScript{conn("a", check.HalfClose)}, false},
		{"reset after data", []check.TCPConnScript{conn("a", check.Reset)}, true},
		{"close after data", []check.TCPConnScript{conn("a", check.Close)}, true},
		{"reset without data", []check.TCPConnScript{conn("", check.Reset)}, false},
		{"read then close", []check.TCPConnScript{conn("a", check.Read)}, false},
		{"one of two", []check.TCPConnScript{conn("a", check.HalfClose), conn("b", check.Close)}, true},
	} {
		if got := abrupt(&Case{TCP: &check.TCPScript{Conns: tc.conns}}); got != tc.want {
			t.Errorf("%s: abrupt = %v, want %v", tc.name, got, tc.want)
		}
	}
	if abrupt(&Case{UDP: &check.UDPScript{}}) {
		t.Errorf("a UDP case is abrupt")
	}
}

func TestCaseKey(t *testing.T) {
	e := check.Env{TCP: "127.0.0.1:1"}
	a, b := writeThenHalfClose("a"), writeThenHalfClose("a")
	b.Property, b.Failure = "P", "some failure"
	if caseKey("P", e, a) != caseKey("P", e, b) {
		t.Errorf("the recorded failure changes the key of a case")
	}
	for name, k := range map[string][32]byte{
		"property": caseKey("Q", e, a),
		"address":  caseKey("P", check.Env{TCP: "127.0.0.1:2"}, a),
		"script":   caseKey("P", e, writeThenHalfClose("b")),
	} {
		if k == caseKey("P", e, a) {
			t.Errorf("another %s gives the same key", name)
		}
	}
}

// crashingTarget stands for a server command that dies on every input and
// is restarted on another port, as a target whose old port is taken is.
type crashingTarget struct {
	t    *testing.T
	mu   sync.Mutex
	ln   net.Listener
	hit  bool
	wg   sync.WaitGroup
	runs int
}

// start serves on a fresh port: a connection kills the server. c.mu is
// held.
func (c *crashingTarget) start() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	c.ln, c.hit = ln, false
	c.runs++
	c.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.hit = true
			c.mu.Unlock()
			conn.Close()
		}
	})
}

// healthy is Target.Healthy: a server that was hit has died, and is
// restarted on another port.
func (c *crashingTarget) healthy(id string) error {
	c.mu.Lock()
	hit, ln := c.hit, c.ln
	c.mu.Unlock()
	if !hit {
		return nil
	}
	ln.Close()
	c.wg.Wait()
	c.mu.Lock()
	c.start()
	c.mu.Unlock()
	return &target.DownError{ID: id, Reason: "exited (status 2)", Restarted: true}
}

// env is Target.Env: the address of the current run.
func (c *crashingTarget) env(logf func(string, ...any)) check.Env {
	c.mu.Lock()
	defer c.mu.Unlock()
	return check.Env{TCP: c.ln.Addr().String(), Logf: logf}
}

func (c *crashingTarget) stop() {
	c.mu.Lock()
	c.ln.Close()
	c.mu.Unlock()
	c.wg.Wait()
}

// TestJudgeFollowsARestart: a case that kills the server is run again
// against the restarted server, wherever it listens now, and its failure
// is confirmed.
func TestJudgeFollowsARestart(t *testing.T) {
	ct := &crashingTarget{t: t}
	ct.mu.Lock()
	ct.start()
	ct.mu.Unlock()
	defer ct.stop()
	h := Hooks{NoSave: true, Healthy: ct.healthy, Env: ct.env}
	r := run(func(r *recorder) { judge(r, "P", writeThenHalfClose("abc"), ct.env(nil), h, new(memory)) })
	if want := "server exited (status 2) while checking TCP-STREAM"; r.fatal != want {
		t.Errorf("failure %q, want %q\n%s", r.fatal, want, r.log())
	}
	if ct.runs != 1+1+confirmRuns {
		t.Errorf("the server ran %d times, want one start and a restart per run of the case", ct.runs)
	}
}

// A failure names the requirements its violations break, or the one a
// server's death is blamed on; a harness error or any other text (a
// panic's) names none.
func TestFailureIDs(t *testing.T) {
	v := (&check.Violation{ID: "TCP-EOF", Case: "a [b]", Expected: "EOF", Observed: "a reset", Where: "connection 0"}).Error()
	w := (&check.Violation{ID: "TCP-BYTES", Expected: "x", Observed: "y"}).Error()
	for _, tc := range []struct {
		failure string
		want    []string
	}{
		{v, []string{"TCP-EOF"}},
		{v + "\n" + w + "\n" + v, []string{"TCP-EOF", "TCP-BYTES"}},
		{"server exited (status 2) while checking TCP-RESET", []string{"TCP-RESET"}},
		{"server exited (status 2) while checking TCP-RESET; it could not be restarted: gone", []string{"TCP-RESET"}},
		{HarnessPrefix + "context deadline exceeded", nil},
		{HarnessPrefix + v, nil},
		{"runtime error: index out of range [-1]", nil},
		{"NOT-AREQ: expected x; observed y", nil},
		{"the server said TCP-EOF: expected nothing", nil},
	} {
		if got := FailureIDs(tc.failure); !slices.Equal(got, tc.want) {
			t.Errorf("FailureIDs(%q) = %q, want %q", tc.failure, got, tc.want)
		}
	}
}

// A server that dies during a case fails it with the requirement the death
// is blamed on; a check that cannot judge fails it as a harness error.
func TestJudgeNamesWhatFailed(t *testing.T) {
	addr, _ := serveTCP(t, func(_ bool, p []byte) { servers.UpperASCII(p) })
	e := check.Env{TCP: addr, Scale: 0.2}
	reset := &Case{TCP: &check.TCPScript{Case: "test", SkipFinalProbe: true, Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: []byte("a")}, {Op: check.Reset},
	}}}}}
	for _, tc := range []struct {
		name    string
		c       *Case
		healthy func(id string) error
		want    string
		ids     []string
	}{
		{"death on a reset", reset, func(id string) error { return &target.DownError{ID: id, Reason: "exited (status 2)"} },
			"server exited (status 2) while checking TCP-RESET", []string{"TCP-RESET"}},
		{"death on a half-close", writeThenHalfClose("a"), func(id string) error { return &target.DownError{ID: id, Reason: "exited (status 2)"} },
			"server exited (status 2) while checking TCP-STREAM", []string{"TCP-STREAM"}},
		{"cannot restart", writeThenHalfClose("a"), func(string) error { return errors.New("cannot restart it") },
			HarnessPrefix + "cannot restart it", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(func(r *recorder) { judge(r, "P", tc.c, e, Hooks{NoSave: true, Healthy: tc.healthy}, new(memory)) })
			if !r.fail || r.fatal != tc.want {
				t.Errorf("failed %v with %q, want %q", r.fail, r.fatal, tc.want)
			}
			if got := FailureIDs(r.fatal); !slices.Equal(got, tc.ids) {
				t.Errorf("FailureIDs = %q, want %q", got, tc.ids)
			}
		})
	}
	// No server at all, and no health hook: a refused dial is what the
	// client saw, a TCP-CHURN violation.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r := run(func(r *recorder) {
		judge(r, "P", writeThenHalfClose("a"), check.Env{TCP: closed, Scale: 0.2}, Hooks{NoSave: true}, new(memory))
	})
	if got := FailureIDs(r.fatal); !slices.Equal(got, []string{"TCP-CHURN"}) {
		t.Errorf("against a closed port: %q names %q, want TCP-CHURN", r.fatal, got)
	}
}
