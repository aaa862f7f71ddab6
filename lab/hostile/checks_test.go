package hostile_test

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

// scale is the time scale of these tests, as UPCHECK_TIME_SCALE: every
// check's timeouts shrink with it, so that the checks that wait out a
// hostile server end sooner.
const scale = 0.3

// maxHeapGrowth bounds how much a check's memory may grow: the harness
// keeps at most its cap of what a server sends.
const maxHeapGrowth = 64 << 20

// table is the conformance table the probes are picked from.
var table = check.Table(check.Options{Seed: 1})

// probe is one check against a hostile server, and the requirement its
// failure must name.
type probe struct {
	name string
	want check.Req // the requirement the failure names
	// run is the case's check itself, not Case.Run: it must end within
	// the spec's timeout by its own doing.
	run     func(ctx context.Context, e check.Env) error
	timeout time.Duration // the spec's timeout, before scaling
	// heavy probes allocate megabytes; they run alone, so that their
	// heap growth is theirs.
	heavy bool
}

// pick returns a probe of the table's first case of requirement req whose
// name starts with name.
func pick(req check.Req, name string, heavy bool) probe {
	for _, c := range table.Select(check.Only(req)) {
		if strings.HasPrefix(c.Name, name) {
			return probe{string(req) + " " + c.Name, req, c.Check, c.Timeout, heavy}
		}
	}
	return probe{name: fmt.Sprintf("%s %s (no such case)", req, name), want: req}
}

var (
	roundTrip     = pick(check.ReqTCPRoundTrip, "the seed client's line", false)
	eof           = pick(check.ReqTCPEOF, "write then half-close at once", false)
	stream        = pick(check.ReqTCPStream, "random chunks of 1-64 KiB", true)
	proxied       = pick(check.ReqTCPStream, "1 KiB in 1-byte segments", false)
	allBytes      = pick(check.ReqTCPBytes, "all 256 byte values together", false)
	reset         = pick(check.ReqTCPReset, "reset while the server writes a large reply", true)
	churn         = pick(check.ReqTCPChurn, "", false)
	concurrent    = pick(check.ReqTCPConcurrent, "answers 100 slow clients", false)
	udpRoundTrip  = pick(check.ReqUDPRoundTrip, "the seed client's line", false)
	udpEmpty      = pick(check.ReqUDPEmpty, "", false)
	udpOnce       = pick(check.ReqUDPOnce, "", true)
	udpSize       = pick(check.ReqUDPSize, "1472 bytes", false)
	udpConcurrent = pick(check.ReqUDPConcurrent, "", true)
	// script is a fuzzer's script, not a case of the table: with no ID,
	// each violation names the requirement its symptom breaks.
	script = func(want check.Req) probe {
		return probe{"script", want, func(ctx context.Context, e check.Env) error {
			return check.RunTCP(ctx, e, check.TCPScript{Case: "fuzz-like", Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
				{Op: check.Write, Data: []byte("abc")}, {Op: check.Read}, {Op: check.HalfClose},
			}}}})
		}, check.CaseTimeout, false}
	}
)

// TestChecksAgainstHostileTCP runs checks against every hostile TCP server:
// each must end within the spec's timeout with a failure naming the right
// requirement, in clear deterministic text, with memory bounded.
func TestChecksAgainstHostileTCP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server func() *mutants.Mutant
		probes []probe
	}{
		{mutants.NeverAccept, []probe{roundTrip, eof, reset}},
		{mutants.BacklogFull, []probe{roundTrip, churn}},
		{mutants.Silent, []probe{roundTrip, eof, reset, concurrent}},
		{mutants.Endless, []probe{roundTrip, eof, stream, allBytes, proxied, script(check.ReqTCPStream)}},
		{mutants.Trickle, []probe{roundTrip, eof, stream, proxied, script(check.ReqTCPStream)}},
		{mutants.NoCloseOnEOF, []probe{eof, roundTrip, script(check.ReqTCPEOF)}},
		{mutants.Garbage, []probe{allBytes, roundTrip, stream, script(check.ReqTCPStream)}},
		{mutants.CloseAtOnce, []probe{roundTrip, eof, reset, script(check.ReqTCPRoundTrip)}},
		{mutants.ResetAtOnce, []probe{roundTrip, eof, reset, churn}},
		{func() *mutants.Mutant { return mutants.DieAfter(20) }, []probe{churn}},
		{func() *mutants.Mutant { return mutants.StallAfter(101) }, []probe{churn}},
	} {
		t.Run(tc.server().Name, func(t *testing.T) {
			t.Parallel()
			for _, p := range tc.probes {
				t.Run(p.name, func(t *testing.T) {
					m := tc.server()
					tcp, _, err := m.StartOn("127.0.0.1:0", "")
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					judge(t, check.Env{TCP: tcp, Scale: scale, Logf: t.Logf}, p)
				})
			}
		})
	}
}

// TestChecksAgainstHostileUDP does the same for the hostile UDP servers.
func TestChecksAgainstHostileUDP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server func() *mutants.Mutant
		probes []probe
	}{
		{mutants.Mute, []probe{udpRoundTrip, udpEmpty, udpSize}},
		{mutants.Flood, []probe{udpOnce, udpRoundTrip, udpSize, udpConcurrent}},
	} {
		t.Run(tc.server().Name, func(t *testing.T) {
			t.Parallel()
			for _, p := range tc.probes {
				t.Run(p.name, func(t *testing.T) {
					m := tc.server()
					_, udp, err := m.StartOn("", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					judge(t, check.Env{UDP: udp, Scale: scale, Logf: t.Logf}, p)
				})
			}
		})
	}
}

// TestChecksPassOnWellBehaved makes sure the probes fail only through the
// servers' faults: against the reference, which the hostile servers' other
// protocol and DieAfter's and StallAfter's first connections get, they pass.
func TestChecksPassOnWellBehaved(t *testing.T) {
	t.Parallel()
	s := serverstest.NewServer()
	defer s.Close()
	e := check.Env{TCP: s.TCPAddr, UDP: s.UDPAddr, Scale: 1, Logf: t.Logf}
	for _, p := range []probe{roundTrip, eof, stream, allBytes, proxied, reset, churn, concurrent, script(""), udpRoundTrip, udpEmpty, udpOnce, udpSize, udpConcurrent} {
		if p.run == nil {
			t.Fatalf("%s: no such case in the table", p.name)
		}
		// Against the reference, a probe allocates as much as a heavy
		// one, light or not: none may run while any probe measures its
		// heap.
		heapMu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), e.T(p.timeout))
		err := p.run(ctx, e)
		cancel()
		heapMu.Unlock()
		if err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
}

var (
	// addrText is an address or port in failure text, which must have
	// none: ports and timings go to the log.
	addrText = regexp.MustCompile(`127\.0\.0\.1|:[0-9]{4,5}\b`)
	// timeText is a duration, which must not be in failure text but for
	// the case's name (a configured delay is the same on every run).
	timeText = regexp.MustCompile(`\b[0-9.]+(ns|µs|ms|s)\b`)
)

// judge runs p against e and checks how it ended: within the spec's
// timeout, with every violation naming p.want, in clear text, and with the
// heap grown by less than maxHeapGrowth.
func judge(t *testing.T, e check.Env, p probe) {
	t.Helper()
	if p.heavy {
		heapMu.Lock()
		defer heapMu.Unlock()
	} else {
		heapMu.RLock()
		defer heapMu.RUnlock()
	}
	if p.run == nil {
		t.Fatalf("%s: no such case in the table", p.name)
	}
	limit := e.T(p.timeout)
	// The check gets twice the spec's timeout: ending within it must be
	// the check's own doing, not its context's.
	ctx, cancel := context.WithTimeout(context.Background(), 2*limit)
	defer cancel()
	peak := watchHeap()
	start := time.Now()
	err := p.run(ctx, e)
	elapsed := time.Since(start)
	growth := peak()
	t.Logf("%s: ended after %v, heap grew by %d KiB at most:\n%v", p.name, elapsed.Round(time.Millisecond), growth>>10, err)

	if elapsed > limit {
		t.Errorf("%s took %v, more than the spec's timeout of %v", p.name, elapsed, limit)
	}
	if growth > maxHeapGrowth {
		t.Errorf("%s grew the heap by %d MiB, more than %d MiB", p.name, growth>>20, maxHeapGrowth>>20)
	}
	vs := check.AsViolations(err)
	if len(vs) == 0 {
		t.Fatalf("%s: want a %s violation, got %v", p.name, p.want, err)
	}
	// A violation counts against the rule it breaks, whichever case saw
	// it: each must name a requirement of the probe's protocol.
	want, _ := p.want.Requirement()
	proto := want.Proto
	for _, id := range vs.IDs() {
		if r, ok := check.Req(id).Requirement(); !ok || r.Proto != proto {
			t.Errorf("%s: a violation names %q, want a %s requirement", p.name, id, proto)
		}
	}
	for _, v := range vs {
		text := v.Error()
		switch {
		case v.Expected == "" || v.Observed == "":
			t.Errorf("violation without an expectation or observation: %q", text)
		case strings.Contains(text, "\n"):
			t.Errorf("violation on more than one line: %q", text)
		case strings.Contains(text, "%!"):
			t.Errorf("violation with a formatting error: %q", text)
		case addrText.MatchString(text):
			t.Errorf("violation names an address or port: %q", text)
		case timeText.MatchString(strings.Replace(text, "["+v.Case+"]", "", 1)):
			t.Errorf("violation names a duration: %q", text)
		}
	}
}

// heapMu keeps a probe's heap growth its own: light probes, which allocate
// little against a hostile server, measure side by side (read lock); a
// heavy probe, and every check of TestChecksPassOnWellBehaved (against
// the reference each allocates megabytes, tens in all), runs alone (write
// lock). The heap is the process's: a probe measured beside one of those
// counted up to 84 MiB of theirs as its own.
var heapMu sync.RWMutex

// watchHeap samples the heap until the returned function is called, which
// returns the largest growth seen over the heap at the start.
func watchHeap() (peak func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var (
		mu   sync.Mutex
		most uint64
	)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		if ms.HeapAlloc > base && ms.HeapAlloc-base > most {
			most = ms.HeapAlloc - base
		}
		mu.Unlock()
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				sample()
			case <-stop:
				return
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		sample()
		mu.Lock()
		defer mu.Unlock()
		return most
	}
}
