package fuzz

import (
	"context"
	"errors"
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// Limits of the drawn scripts: small enough that one input finishes well
// under go test -fuzz's 10 s per-input limit, large enough to cross the
// seed's recv(1024) and a few TCP segments.
const (
	maxTCPConns = 4
	maxTCPSteps = 8
	maxTCPWrite = 4096
	// caseTimeout bounds one input, before UPCHECK_TIME_SCALE.
	caseTimeout = 8 * time.Second
	// crashSettle is how long a failing input waits before asking again
	// whether the server command died.
	crashSettle = 200 * time.Millisecond
)

// Property is a rapid property, the requirement IDs it checks, and how to
// make it for any environment (the mutation tests run each property against
// every faulty server).
type Property struct {
	Name string
	IDs  []string
	// For returns the property checking the server at e; hooks may be nil.
	For func(e check.Env, h Hooks) func(*rapid.T)
}

// Hooks let the caller of a property see a failing case and blame a dead
// server command; the zero value saves cases under the failure directory.
type Hooks struct {
	// Healthy, if set, is asked after each case whether the server died
	// while checking it (and restarts it).
	Healthy func(property string) error
	// NoSave keeps failing cases out of the failure directory.
	NoSave bool
}

// Properties lists every property, for the tests, the campaign and reports.
var Properties = []Property{
	{"TCPScripts", []string{"TCP-ROUNDTRIP", "TCP-BYTES", "TCP-STREAM", "TCP-EOF", "TCP-RESET", "TCP-DISCONNECT", "TCP-ISOLATION", "TCP-CHURN"}, TCPScripts},
	{"UDPScripts", []string{"UDP-ROUNDTRIP", "UDP-BYTES", "UDP-EMPTY", "UDP-SIZE", "UDP-SOURCE", "UDP-ONCE", "UDP-CONCURRENT", "UDP-SURVIVE"}, UDPScripts},
}

// TCPScripts draws up to four concurrent connections, each a script of
// writes (0 to 4 KiB, biased to the byte values where uppercasing goes
// wrong), pauses and reads ending in a half-close, reset, abrupt close or
// nothing, runs them against e.TCP and judges them with check.RunTCP: after
// an orderly end the reply is exactly upper(sent) then EOF, after a reset a
// prefix of it, no connection gets another's bytes, and a new connection is
// served afterwards.
func TCPScripts(e check.Env, h Hooks) func(*rapid.T) {
	return func(t *rapid.T) {
		if e.TCP == "" {
			t.Skip("TCP not configured")
		}
		s := TCPScriptGen(maxTCPConns, maxTCPSteps, maxTCPWrite).Draw(t, "script")
		judge(t, "TCPScripts", &Case{TCP: &s}, e, h)
	}
}

// UDPScripts draws datagrams of 0 to max+1 bytes from up to four sockets,
// connected or not, sent one by one or in bursts, and judges them with
// check.RunUDP: each reply is upper of one request of that socket
// (truncated at the declared maximum), at most one per datagram, from the
// server's address.
func UDPScripts(e check.Env, h Hooks) func(*rapid.T) {
	return func(t *rapid.T) {
		if e.UDP == "" {
			t.Skip("UDP not configured")
		}
		s := UDPScriptGen(e.UDPMax).Draw(t, "script")
		judge(t, "UDPScripts", &Case{UDP: &s}, e, h)
	}
}

// CheckTCPScripts is TCPScripts against the process's target (the
// UPCHECK_* settings, or the reference in process).
func CheckTCPScripts(t *rapid.T) { TCPScripts(env(t), targetHooks)(t) }

// CheckUDPScripts is UDPScripts against the process's target.
func CheckUDPScripts(t *rapid.T) { UDPScripts(env(t), targetHooks)(t) }

var targetHooks = Hooks{Healthy: Healthy}

func env(t *rapid.T) check.Env {
	e, err := Env(t.Logf)
	if err != nil {
		t.Fatalf("harness error: %v", err)
	}
	return e
}

// judge runs c; on a violation it saves the case for replay and fails with
// the deterministic violation text.
func judge(t *rapid.T, property string, c *Case, e check.Env, h Hooks) {
	ctx, cancel := context.WithTimeout(context.Background(), e.T(caseTimeout))
	defer cancel()
	err := c.Run(ctx, e)
	var herr error
	if h.Healthy != nil {
		herr = h.Healthy(property)
		if err != nil && herr == nil {
			// A server that crashes shows it to its clients (an EOF, a
			// reset) a moment before its process is reaped. Ask again
			// after that moment, so that the same input always fails
			// with the same text and rapid can shrink it.
			time.Sleep(e.T(crashSettle))
			herr = h.Healthy(property)
		}
	}
	if herr != nil {
		// The server command died on this input: that is the failure,
		// whatever the connections saw as it went. The headline is
		// deterministic; the server's last output goes to the log.
		var down *target.DownError
		if errors.As(herr, &down) {
			t.Logf("server output:\n%s", down.Output)
			herr = errors.New(down.Headline())
		}
		err = herr
	}
	if err == nil {
		return
	}
	c.Property, c.Failure = property, err.Error()
	if h.NoSave {
		t.Fatalf("%v", err)
	}
	if path, serr := c.Save(property); serr != nil {
		t.Logf("cannot save the case: %v", serr)
	} else {
		t.Logf("replay: %s", ReplayCommand(path))
	}
	t.Fatalf("%v", err)
}
