package mutation

import (
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// How the fuzz properties are run against the mutants: rapid's quick
// budget, as in make test, with a fixed seed so that every run draws the
// same cases (set by TestMain unless -rapid.* flags say otherwise).
const (
	fuzzChecks = 100
	fuzzSeed   = 1
	// fuzzShrink bounds rapid's shrinking of a failing case: the table
	// needs the verdict, not the smallest case.
	fuzzShrink = "2s"
	// fuzzScale is the checks' time scale in process.
	fuzzScale = 0.5
	// fuzzRuns is how many mutants are fuzzed at once.
	fuzzRuns = 4
	// fuzzRounds is how many rounds of -rapid.checks cases a property
	// gets against a mutant in its domain before it is said to miss it;
	// fuzzOnlyRounds, against a mutant left to the fuzzers. Each round
	// draws new cases. Most mutants fall to the first cases of the first
	// round (the table says which case); a few faults show only when the
	// server reads a case's bytes in one piece, which timing decides, so
	// a case that caught one may miss it the next time.
	fuzzRounds     = 3
	fuzzOnlyRounds = 10
)

// outOfReach are the mutants no fuzz property is expected to catch within
// its quick budget, or whose fault it sees but files under a requirement
// the mutant does not break (a failure that does not count), and why.
// Every other mutant is in the domain of its protocol's property, which
// must catch it; these are reported either way.
var outOfReach = map[string]string{
	"Serial":              "needs a client idle past the reply timeout",
	"LockedRead":          "needs a client idle past the reply timeout",
	"ConnLimitLeak":       "needs 1000 connections; a case opens at most 4",
	"UDPFixedLog":         "needs 2048 datagrams; a case sends a few",
	"UDPLastPeer":         "needs replies racing between many clients",
	"UDPDieOnUnreachable": "needs a socket closed before its reply arrives; a case waits for its replies",
	// Seen, but filed under another requirement.
	"LineBuffered":   "seen first by the final probe, whose unanswered \"a\" is filed under TCP-CHURN: a client cannot tell it from a server that stopped accepting",
	"FillBuffer":     "seen first by the final probe, whose unanswered \"a\" is filed under TCP-CHURN: a client cannot tell it from a server that stopped accepting",
	"BufferUntilEOF": "seen first by the final probe, whose unanswered \"a\" is filed under TCP-CHURN: a client cannot tell it from a server that stopped accepting",
	"RouteByIP":      "misrouted bytes are filed under TCP-ROUNDTRIP and TCP-BYTES, not TCP-ISOLATION",
	"DropFullRead":   "the bytes it drops are seen as wrong bytes (TCP-BYTES) or a short stream (TCP-EOF), whichever the drawn writes show first",
	"TickerFlush":    "a reply it never flushed is seen first by the final probe, whose missing reply is filed under TCP-CHURN",
}

// propertyProto is the protocol a property checks: that of its IDs.
func propertyProto(p fuzz.Property) string {
	if len(p.IDs) > 0 && strings.HasPrefix(p.IDs[0], "UDP-") {
		return "udp"
	}
	return "tcp"
}

// runFuzz runs each property against each mutant of its protocol, started
// in process, fuzzRuns at a time, and against the reference, as one more
// job of the same pool, with the same rounds and hooks: the control runs
// under the mutants' load.
func (c *campaign) runFuzz() {
	c.fuzz = make(map[string]map[string]*fuzzResult)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fuzzRuns)
	// The reference first: it runs beside the mutants, and beside the
	// suites' runs.
	ref := &mutants.Mutant{Name: "reference"}
	sem <- struct{}{}
	wg.Go(func() {
		defer func() { <-sem }()
		got := fuzzServer(ref, []string{"tcp", "udp"}, fuzzRounds, fuzzScale)
		c.fuzzRef = make(map[string]*Caught)
		for name, r := range got {
			c.fuzzRef[name] = r.Caught
		}
	})
	for _, m := range allMutants() {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			got := fuzzServer(m, m.Protocols(), roundsFor(m.Name), fuzzScale)
			mu.Lock()
			c.fuzz[m.Name] = got
			mu.Unlock()
		})
	}
	wg.Wait()
}

// fuzzResult is what a property found against a mutant.
type fuzzResult struct {
	*Caught
	// Case is the number of the case that failed, counting every round's
	// cases; 0 when none did.
	Case int
	// Missed are the failures of earlier rounds that did not count (see
	// PropertyCatch), each with its case: a round that fails for another
	// reason is listed, and the next round draws new cases.
	Missed []fuzzTry
}

// fuzzTry is one round's failure.
type fuzzTry struct {
	*Caught
	Case int
}

// fuzzServer runs the properties of the protocols protos against m in
// process at time scale scale, for up to rounds rounds until one catches it
// (a failure that names a requirement it breaks; for the reference, which
// breaks none, until one fails). A mutant that dies is
// restarted after the case that killed it, as the harness restarts a server
// command: on the same addresses, else (another program took a port it
// left free) on fresh ports, which the cases then reach (Hooks.Env). The
// death is blamed as the harness blames it (a *target.DownError naming the
// requirement); once it cannot be restarted, every later case is a harness
// error, not a catch.
func fuzzServer(m *mutants.Mutant, protos []string, rounds int, scale float64) map[string]*fuzzResult {
	breaks := m.Breaks
	out := make(map[string]*fuzzResult)
	tcp, udp, err := m.Start()
	if err != nil {
		out["start"] = &fuzzResult{Caught: failedCatch(err)}
		return out
	}
	defer m.Close()
	var mu sync.Mutex // guards tcp and udp
	env := func(logf func(string, ...any)) check.Env {
		mu.Lock()
		defer mu.Unlock()
		return check.Env{TCP: tcp, UDP: udp, Scale: scale, Logf: logf}
	}
	e := env(nil)
	var gone error
	healthy := func(id string) error {
		if gone != nil {
			return gone
		}
		select {
		case <-m.Done():
		default:
			return nil
		}
		// The text is the same whatever killed it (ports, the syscall
		// that failed): fuzz confirms a failure by its repeating.
		m.Close()
		down := &target.DownError{ID: id, Reason: "died"}
		mu.Lock()
		defer mu.Unlock()
		t, u, err := m.StartOn(tcp, udp)
		if err != nil {
			t, u, err = m.StartOn(freshPort(tcp), freshPort(udp))
		}
		if err != nil {
			down.Restart = &target.HarnessError{Msg: "cannot restart the mutant", Err: err}
			gone = down.Restart
		} else {
			tcp, udp, down.Restarted = t, u, true
		}
		return down
	}
	for _, p := range fuzz.Properties {
		if !slices.Contains(protos, propertyProto(p)) {
			continue
		}
		begin := time.Now()
		prop := p.For(e, fuzz.Hooks{NoSave: true, Healthy: healthy, Env: env})
		r := &fuzzResult{}
		for round := range rounds {
			if r.Caught != nil && r.Failed() {
				r.Missed = append(r.Missed, fuzzTry{r.Caught, r.Case})
			}
			r.Caught = Catch(fmt.Sprintf("%s/%s/%d", p.Name, m.Name, round), newCases(round, prop))
			r.Case = 0
			if r.Falsified() {
				r.Case = round*checksPerRound() + r.Passed() + 1
			}
			if !r.Failed() {
				continue
			}
			// A failure that cannot count against m (any failure of the
			// reference, which breaks nothing, ends it) lets the next
			// round try new cases.
			if f, _ := PropertyCatch(breaks, p.Name, r.Case, r.Caught); f.Counts || len(breaks) == 0 || !r.Falsified() {
				break
			}
		}
		out[p.Name] = r
		if debug {
			fmt.Fprintf(os.Stderr, "mutation: %s against %s: %v, case %d\n", p.Name, m.Name, time.Since(begin).Round(time.Millisecond), r.Case)
		}
	}
	return out
}

// freshPort is addr's host with port 0, for a restart on a new port ("" for
// "", a protocol not served).
func freshPort(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, "0")
}

// roundsFor is how many rounds a property gets against the mutant name.
func roundsFor(name string) int {
	if _, ok := outOfReach[name]; ok {
		return 1
	}
	if _, ok := fuzzOnly[name]; ok {
		return fuzzOnlyRounds
	}
	return fuzzRounds
}

// newCases returns prop drawing, in round r, cases no other round draws:
// rapid starts every check from the same seed, so the round's first r
// draws are spent on nothing.
func newCases(r int, prop func(*rapid.T)) func(*rapid.T) {
	if r == 0 {
		return prop
	}
	return func(t *rapid.T) {
		for range r {
			rapid.Uint64().Draw(t, "round")
		}
		prop(t)
	}
}

// checksPerRound is rapid's number of checks per Check.
func checksPerRound() int {
	n, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
	if testing.Short() {
		n /= 5
	}
	return n
}

// failedCatch is a Caught that records err as a failure of the harness.
func failedCatch(err error) *Caught {
	c := &Caught{name: "start"}
	c.error(err.Error())
	return c
}

// TestFuzzCatchesItsDomain requires each property to catch every mutant
// of its protocol that is not out of its reach, within the quick budget,
// with a failure that names a requirement the mutant breaks; its last
// round must not end in a failure that does not count.
func TestFuzzCatchesItsDomain(t *testing.T) {
	c := fuzzing(t)
	for _, m := range allMutants() {
		t.Run(m.Name, func(t *testing.T) {
			if r := c.fuzz[m.Name]["start"]; r != nil {
				t.Fatalf("cannot start the mutant: %v", r.Errors())
			}
			for _, p := range fuzz.Properties {
				if !slices.Contains(m.Protocols(), propertyProto(p)) {
					continue
				}
				r := c.fuzz[m.Name][p.Name]
				if r == nil {
					t.Fatalf("%s was not run", p.Name)
				}
				why, out := outOfReach[m.Name]
				for _, miss := range r.Missed {
					f, _ := PropertyCatch(m.Breaks, p.Name, miss.Case, miss.Caught)
					t.Logf("%s failed against %s for a reason that does not count, and went on: %s: %s", f.By, m.Name, f.Why, f.Line)
				}
				f, failed := PropertyCatch(m.Breaks, p.Name, r.Case, r.Caught)
				// A verdict on the server: it names requirements, or it is a
				// stall (the server made no progress), which names none.
				verdict := r.Falsified() && !r.Panicked() && (len(fuzz.FailureIDs(r.Verdict())) > 0 || fuzz.IsStall(r.Verdict()))
				switch {
				case failed && !f.Counts && (!out || !verdict):
					t.Errorf("%s failed against %s for a reason that does not count: %s: %s", p.Name, m.Name, f.Why, r.Failure())
				case failed && !f.Counts:
					t.Logf("%s failed against %s on a requirement it does not break, as expected (%s): %s", p.Name, m.Name, why, r.Failure())
				case out && failed:
					t.Logf("%s caught %s although it is out of reach (%s): %s", p.Name, m.Name, why, r.Failure())
				case out:
					t.Logf("%s did not catch %s, as expected: %s", p.Name, m.Name, why)
				case !failed:
					t.Errorf("%s did not catch %s (%s) in %d rounds of %d cases from seed %d; it is in its domain; last round's log:\n%s",
						p.Name, m.Name, m.Bug, roundsFor(m.Name), checksPerRound(), fuzzSeed, strings.Join(r.Lines(), "\n"))
				default:
					t.Logf("%s caught %s at case %d: %s", p.Name, m.Name, r.Case, f.Line)
				}
			}
		})
	}
}

// TestFuzzPassesTheReference is the control: the same properties with the
// same budget and hooks, run beside the mutants' (under the same load),
// find nothing wrong with the reference.
func TestFuzzPassesTheReference(t *testing.T) {
	c := fuzzing(t)
	for _, p := range fuzz.Properties {
		r := c.fuzzRef[p.Name]
		if r == nil {
			t.Fatalf("%s was not run against the reference", p.Name)
		}
		if r.Failed() {
			t.Errorf("%s against the reference: %s\n%s", p.Name, strings.Join(r.Errors(), "\n"), strings.Join(r.Lines(), "\n"))
		}
	}
}

// TestOutOfReachAreMutants keeps outOfReach in step with the mutants.
func TestOutOfReachAreMutants(t *testing.T) {
	for name := range outOfReach {
		if _, ok := mutants.ByName(name); !ok {
			t.Errorf("outOfReach names %q, which is no mutant", name)
		}
	}
}

// TestFuzzOnlyAreInReach keeps the mutants left to the fuzzers within the
// fuzzers' domain.
func TestFuzzOnlyAreInReach(t *testing.T) {
	for name := range fuzzOnly {
		if _, ok := mutants.ByName(name); !ok {
			t.Errorf("fuzzOnly names %q, which is no mutant", name)
		}
		if why, ok := outOfReach[name]; ok {
			t.Errorf("%s is left to the fuzzers but out of their reach: %s", name, why)
		}
	}
}
