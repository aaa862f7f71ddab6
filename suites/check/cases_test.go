package check_test

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

func referenceEnv(t *testing.T) check.Env {
	t.Helper()
	srv := serverstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	return check.Env{TCP: srv.TCPAddr, UDP: srv.UDPAddr, Logf: t.Logf}
}

// TestTableCoversEveryRequirement checks the table's shape: every
// requirement has cases and every case a known requirement, the
// requirement and labels of the other cases of its topic, a unique name,
// its requirement and protocol among its labels, a timeout, a check and
// the place it is declared; INFO cases say what they saw.
func TestTableCoversEveryRequirement(t *testing.T) {
	cases := check.Table(check.Options{Seed: 1})
	seen := map[string]bool{}
	topics := map[string]check.Case{}
	for _, c := range cases {
		if first, ok := topics[c.Topic]; ok && (first.Req != c.Req || !slices.Equal(first.Labels, c.Labels)) {
			t.Errorf("%q: requirement %s, labels %v; its topic's first case has %s, %v", c.FullName(), c.Req, c.Labels, first.Req, first.Labels)
		} else if !ok {
			topics[c.Topic] = c
		}
		req, ok := c.Req.Requirement()
		if !ok {
			t.Errorf("%q: unknown requirement %q", c.FullName(), c.Req)
			continue
		}
		if seen[c.FullName()] {
			t.Errorf("two cases named %q", c.FullName())
		}
		seen[c.FullName()] = true
		if labels := c.AllLabels(); labels[0] != req.ID || labels[1] != req.Proto {
			t.Errorf("%q: labels %v, want %s and %s first", c.FullName(), labels, req.ID, req.Proto)
		}
		if !strings.HasPrefix(c.Topic, req.ID) {
			t.Errorf("%q: topic %q does not start with its requirement", c.FullName(), c.Topic)
		}
		if c.Name == "" || c.Check == nil || c.Timeout < check.CaseTimeout {
			t.Errorf("%q: a name, a check and a timeout of at least %v are needed, have timeout %v", c.FullName(), check.CaseTimeout, c.Timeout)
		}
		if file, line := c.Declared(); !strings.HasSuffix(file, ".go") || line == 0 {
			t.Errorf("%q: declared at %s:%d", c.FullName(), file, line)
		}
		if (req.Level == check.Info) != (c.Seen != "") {
			t.Errorf("%q (%s): Seen %q, want it set for INFO cases only", c.FullName(), req.Level, c.Seen)
		}
	}
	for _, r := range check.Requirements {
		if len(cases.Select(check.Only(check.Req(r.ID)))) == 0 {
			t.Errorf("%s has no case", r.ID)
		}
	}
}

// TestTableFollowsOptions checks that the seed and the declared maximum
// reach the cases' names, and nothing else does.
func TestTableFollowsOptions(t *testing.T) {
	names := func(o check.Options) []string {
		var out []string
		for _, c := range check.Table(o) {
			out = append(out, c.FullName())
		}
		return out
	}
	a, b := names(check.Options{Seed: 1}), names(check.Options{Seed: 1})
	if !slices.Equal(a, b) {
		t.Errorf("the same options give different tables:\n%v\n%v", a, b)
	}
	if !slices.ContainsFunc(names(check.Options{Seed: 42}), func(n string) bool { return strings.Contains(n, "seed 42") }) {
		t.Error("no case names seed 42")
	}
	sizes := check.Table(check.Options{UDPMax: 1000}).Select(check.Only(check.ReqUDPSize))
	if !slices.ContainsFunc(sizes, func(c check.Case) bool { return c.Name == "1000 bytes, the declared maximum" }) {
		t.Errorf("UDP-SIZE cases for a maximum of 1000: %v", sizes)
	}
	if def, zero := names(check.Options{UDPMax: check.DefaultUDPMax}), names(check.Options{}); !slices.Equal(def, zero) {
		t.Error("UDPMax 0 is not the default maximum")
	}
}

// referenceScale is the time scale of the runs against the reference: room
// for the race detector and a loaded machine. A conforming server never
// makes a check wait out a timeout, so it costs only the scaled pauses and
// quiet periods.
const referenceScale = 2

// TestTablePassesOnReference runs every case of the table against the
// reference servers: none may report anything. Serial cases run first, one
// at a time; the others then run in parallel, as the suite runs them.
func TestTablePassesOnReference(t *testing.T) {
	e := referenceEnv(t)
	e.Scale = referenceScale
	for _, c := range check.Table(check.Options{Seed: time.Now().UnixNano()}) {
		t.Run(c.FullName(), func(t *testing.T) {
			if !c.Serial {
				t.Parallel()
			}
			e := e
			e.Logf = t.Logf
			if err := c.Run(t.Context(), e); err != nil {
				t.Errorf("the reference failed:\n%v", err)
			}
		})
	}
}

// startEcho starts a TCP server that echoes without uppercasing.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestRunReportsEveryCase runs a subset against a server that echoes
// without uppercasing, with no UDP address: the TCP cases each find
// violations, of TCP-BYTES (a byte left as sent breaks the content rule,
// whichever case sees it), the UDP ones are skipped.
func TestRunReportsEveryCase(t *testing.T) {
	e := check.Env{TCP: startEcho(t), Logf: t.Logf}
	cases := check.Table(check.Options{}).Select(check.Only(check.ReqTCPRoundTrip, check.ReqUDPEmpty))
	rs := check.Run(t.Context(), e, cases)
	if len(rs) != len(cases) {
		t.Fatalf("%d results for %d cases", len(rs), len(cases))
	}
	for _, r := range rs {
		switch {
		case r.Case.Req == check.ReqUDPEmpty:
			if r.Skipped == "" || r.Err != nil {
				t.Errorf("%s: skipped %q, err %v; want it skipped", r.Case.FullName(), r.Skipped, r.Err)
			}
		case !slices.Equal(check.AsViolations(r.Err).IDs(), []string{"TCP-BYTES"}):
			t.Errorf("%s: %v; want TCP-BYTES violations", r.Case.FullName(), r.Err)
		}
	}
	if ids := rs.Violations().IDs(); !slices.Equal(ids, []string{"TCP-BYTES"}) {
		t.Errorf("Violations name %v", ids)
	}
	err := rs.Err()
	if err == nil || !strings.Contains(err.Error(), "TCP-ROUNDTRIP a request is answered without the client closing or writing more 1 byte:\n") {
		t.Errorf("Err does not name the failing case:\n%v", err)
	}
	if len(check.AsViolations(err)) != len(rs.Violations()) {
		t.Errorf("Err holds %d violations, want %d", len(check.AsViolations(err)), len(rs.Violations()))
	}
}

// TestResultsErrLeavesOutObservations checks that an INFO case's finding
// does not fail a run, while a case that could not be judged does.
func TestResultsErrLeavesOutObservations(t *testing.T) {
	info := check.Table(check.Options{}).Select(check.Only(check.ReqTCPEmptyWrite))[0]
	seen := check.Violations{{ID: "TCP-EMPTYWRITE", Case: "c", Expected: "nothing", Observed: "a reply"}}
	if err := (check.Results{{Case: info, Err: seen}}).Err(); err != nil {
		t.Errorf("an INFO finding fails the run: %v", err)
	}
	if err := (check.Results{{Case: info, Err: errors.New("no TCP address")}}).Err(); err == nil {
		t.Error("an INFO case that could not be judged passes")
	}
}

// TestRunAfterTheEnd checks that cases left when the context has ended are
// not run, and that saying so is no verdict.
func TestRunAfterTheEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	c := check.Case{Req: check.ReqTCPEOF, Name: "never", Check: func(context.Context, check.Env) error { ran = true; return nil }}
	rs := check.Run(ctx, check.Env{TCP: "127.0.0.1:9"}, check.Cases{c})
	if ran || !errors.Is(rs[0].Err, context.Canceled) || rs.Violations() != nil {
		t.Errorf("ran %v, err %v; want not run, context.Canceled and no violation", ran, rs[0].Err)
	}
}

// TestCaseRunScalesItsTimeout checks the one timeout wrapper: a case's
// check gets its timeout times the time scale as its deadline.
func TestCaseRunScalesItsTimeout(t *testing.T) {
	var left time.Duration
	c := check.Case{Req: check.ReqTCPEOF, Timeout: time.Minute, Check: func(ctx context.Context, e check.Env) error {
		dl, _ := ctx.Deadline()
		left = time.Until(dl)
		return nil
	}}
	if err := c.Run(t.Context(), check.Env{Scale: 3}); err != nil {
		t.Fatal(err)
	}
	if left <= 2*time.Minute || left > 3*time.Minute {
		t.Errorf("the check had %v left, want about 3m", left)
	}
}
