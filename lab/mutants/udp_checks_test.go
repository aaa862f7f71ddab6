package mutants_test

import (
	"context"
	"errors"
	"github.com/upcheck/upcheck/internal/slow"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
)

// The UDP checks of suites/check against the faulty UDP servers: each
// check must name the requirement the fault breaks, and only that one,
// whichever requirement the check is about, in text with no port in it and
// the same on every run.

// udpTestTimeout bounds each UDP test: far beyond what a check needs.
const udpTestTimeout = 30 * time.Second

func udpContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), udpTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startUDP starts m until the test ends and returns the Env of its UDP
// server.
func startUDP(t *testing.T, m *mutants.Mutant) check.Env {
	t.Helper()
	_, udp, err := m.StartOn("", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	// Tests of faulty servers run in parallel, each server with its socket
	// to itself, at the default pace (slower on a slow machine): a reply
	// that comes late under load must not add a requirement to the exact
	// set a test expects.
	return check.Env{UDP: udp, Scale: slow.Factor(), Logf: t.Logf}
}

// allBytes is every byte value once.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// portPattern finds a port number in failure text, which must have none.
var portPattern = regexp.MustCompile(`:\d{2,5}\b`)

func TestUDPFaultsAreFound(t *testing.T) {
	burst := func(ds ...[]byte) check.UDPScript {
		return check.UDPScript{Case: "burst", Sockets: []check.UDPSocketScript{{Datagrams: ds, Burst: true}}}
	}
	tests := []struct {
		name  string
		fault func() *mutants.Mutant
		run   func(ctx context.Context, e check.Env) error
		want  []string
	}{
		{"answer twice: once", mutants.UDPTwice, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 20) }, []string{"UDP-ONCE"}},
		{"answer twice: by symptom", mutants.UDPTwice, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("one"), []byte("two")))
		}, []string{"UDP-ONCE"}},
		{"bytes.ToUpper: bytes", mutants.UDPUnicodeUpper, func(ctx context.Context, e check.Env) error {
			return check.UDPBytes(ctx, e, "all 256 byte values", allBytes())
		}, []string{"UDP-BYTES"}},
		{"bytes.ToUpper: by symptom", mutants.UDPUnicodeUpper, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("fine"), []byte("straße"), []byte("a\xffb")))
		}, []string{"UDP-BYTES"}},
		{"other socket: source", mutants.UDPNewSocket, check.UDPSource, []string{"UDP-SOURCE"}},
		{"other socket: connected only, by symptom", mutants.UDPNewSocket, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, check.UDPScript{Sockets: []check.UDPSocketScript{{Connected: true, Datagrams: [][]byte{[]byte("hello")}}}})
		}, []string{"UDP-SOURCE"}},
		{"other socket: unconnected, by symptom", mutants.UDPNewSocket, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("hello"), []byte("again")))
		}, []string{"UDP-SOURCE"}},
		{"chatty: once", mutants.UDPGreeting, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 10) }, []string{"UDP-ONCE"}},
		{"chatty: by symptom", mutants.UDPGreeting, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("hello")))
		}, []string{"UDP-ONCE"}},
		{"ignore empty: empty", mutants.UDPSkipEmpty, func(ctx context.Context, e check.Env) error { return check.UDPEmpty(ctx, e) }, []string{"UDP-EMPTY"}},
		{"ignore empty: by symptom", mutants.UDPSkipEmpty, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst([]byte("x"), []byte{}))
		}, []string{"UDP-EMPTY"}},
		{"1024-byte buffer: size 1472", mutants.UDPSmallBuffer, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 1472) }, []string{"UDP-SIZE"}},
		{"1024-byte buffer: by symptom", mutants.UDPSmallBuffer, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, burst(clients.Payload(1, 1024), clients.Payload(2, 1025)))
		}, []string{"UDP-SIZE"}},
		{"no maximum: size max+1", mutants.UDPNoTruncate, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 8193) }, []string{"UDP-SIZE"}},
		{"padded: once", mutants.UDPStaleTail, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 10) }, []string{"UDP-ONCE"}},
		{"cross-talk: concurrent", mutants.UDPPreviousPeer, func(ctx context.Context, e check.Env) error { return check.UDPConcurrent(ctx, e, 4, 5) }, []string{"UDP-CONCURRENT"}},
		{"cross-talk: by symptom", mutants.UDPPreviousPeer, func(ctx context.Context, e check.Env) error {
			return check.RunUDP(ctx, e, check.UDPScript{Sockets: []check.UDPSocketScript{
				{Datagrams: [][]byte{clients.Payload(1, 20), clients.Payload(2, 20)}},
				{Datagrams: [][]byte{clients.Payload(3, 20), clients.Payload(4, 20)}},
			}})
		}, []string{"UDP-CONCURRENT"}},
		// A fault seen by the check of another requirement counts against
		// the one it breaks; that check's own requirement is then judged
		// on what it is about, or not at all.
		{"answer twice: round trip", mutants.UDPTwice, func(ctx context.Context, e check.Env) error {
			return check.UDPRoundTrip(ctx, e, "1 byte", []byte("a"))
		}, []string{"UDP-ONCE"}},
		{"answer twice: bytes", mutants.UDPTwice, func(ctx context.Context, e check.Env) error {
			return check.UDPBytes(ctx, e, "all 256 byte values", allBytes())
		}, []string{"UDP-ONCE"}},
		{"answer twice: empty", mutants.UDPTwice, check.UDPEmpty, []string{"UDP-ONCE"}},
		{"other socket: bytes", mutants.UDPNewSocket, func(ctx context.Context, e check.Env) error {
			return check.UDPBytes(ctx, e, "all 256 byte values", allBytes())
		}, []string{"UDP-SOURCE"}},
		{"other socket: once", mutants.UDPNewSocket, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 20) }, []string{"UDP-SOURCE"}},
		{"other socket: concurrent", mutants.UDPNewSocket, func(ctx context.Context, e check.Env) error { return check.UDPConcurrent(ctx, e, 4, 5) }, []string{"UDP-SOURCE"}},
		{"full buffer: round trip", mutants.UDPFullBuffer, func(ctx context.Context, e check.Env) error {
			return check.UDPRoundTrip(ctx, e, "1 byte", []byte("a"))
		}, []string{"UDP-ONCE"}},
		{"mute: empty", mutants.Mute, check.UDPEmpty, []string{"UDP-ROUNDTRIP"}},
		{"fragile: survive", mutants.UDPDieOnUnreachable, func(ctx context.Context, e check.Env) error { return check.UDPSurvive(ctx, e, 2000) }, []string{"UDP-SURVIVE"}},
	}
	// All at once, beyond -parallel: most of the time goes in waiting out
	// replies that never come, and each fault has a server of its own.
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tt := range tests {
		wg.Go(func() {
			t.Run(tt.name, func(t *testing.T) {
				e := startUDP(t, tt.fault())
				ctx := udpContext(t)
				start := time.Now()
				err := tt.run(ctx, e)
				t.Logf("%v:\n%v", time.Since(start).Round(time.Millisecond), err)
				vs := check.AsViolations(err)
				if err != nil && vs == nil {
					t.Fatalf("got a plain error, want violations: %v", err)
				}
				if got := vs.IDs(); !slices.Equal(got, tt.want) {
					t.Errorf("violated %v, want %v", got, tt.want)
				}
				for _, v := range vs {
					if portPattern.MatchString(v.Error()) {
						t.Errorf("failure text names a port: %s", v)
					}
				}
			})
		})
	}
}

// TestUDPFailureTextIsDeterministic runs the same failing checks twice and
// wants the same text, as property-based shrinking needs.
func TestUDPFailureTextIsDeterministic(t *testing.T) {
	for _, f := range []struct {
		name  string
		fault func() *mutants.Mutant
		run   func(ctx context.Context, e check.Env) error
	}{
		{"bytes", mutants.UDPUnicodeUpper, func(ctx context.Context, e check.Env) error { return check.UDPBytes(ctx, e, "UTF-8", []byte("héllo")) }},
		{"size", mutants.UDPSmallBuffer, func(ctx context.Context, e check.Env) error { return check.UDPSize(ctx, e, 8192) }},
		{"once", mutants.UDPTwice, func(ctx context.Context, e check.Env) error { return check.UDPOnce(ctx, e, 5) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			ctx := udpContext(t)
			var texts []string
			for range 2 {
				e := startUDP(t, f.fault())
				err := f.run(ctx, e)
				if err == nil {
					t.Fatal("no violation")
				}
				texts = append(texts, err.Error())
			}
			if texts[0] != texts[1] {
				t.Errorf("failure text differs between runs:\n%s\n%s", texts[0], texts[1])
			}
		})
	}
}

func TestUDPInterruptedIsNoVerdict(t *testing.T) {
	e := startUDP(t, mutants.UDPSkipEmpty())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := check.UDPEmpty(ctx, e)
	if !errors.Is(err, context.DeadlineExceeded) || check.AsViolations(err) != nil {
		t.Errorf("UDPEmpty with an expiring context = %v, want the context's error and no violation", err)
	}
}

func TestUDPSurviveInterruptedIsNoVerdict(t *testing.T) {
	e := startUDP(t, mutants.Mute())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := check.UDPSurvive(ctx, e, 10)
	if !errors.Is(err, context.DeadlineExceeded) || check.AsViolations(err) != nil {
		t.Errorf("UDPSurvive with an expiring context = %v, want the context's error and no violation", err)
	}
}
