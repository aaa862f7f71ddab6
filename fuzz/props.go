package fuzz

import (
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
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
	// nativeTimeout bounds one input under go test -fuzz whatever the time
	// scale: the fuzzing engine kills a worker whose input runs 10 s, and
	// asking whether the server died (and restarting it) comes on top.
	nativeTimeout = 5 * time.Second
)

// Property is a rapid property, the requirement IDs it checks, and how to
// make it for any environment (the mutation tests run each property against
// every faulty server).
type Property struct {
	Name string
	IDs  []string
	// For returns the property checking the server at e; hooks may be nil.
	For func(e check.Env, h Hooks) func(*rapid.T)
	// Gen returns the generator of the cases For draws (nil when e does
	// not serve the protocol), for drivers that draw a case from a seed
	// instead of rapid's bitstream: see CheckPropertyInput.
	Gen func(e check.Env) *rapid.Generator[*Case]
}

// Hooks let the caller of a property see a failing case and blame a dead
// server command; the zero value saves cases under the failure directory.
type Hooks struct {
	// Healthy, if set, is asked after each case whether the server died
	// while checking it (and restarts it), with the requirement a death
	// during the case is blamed on; a death is a *target.DownError. Leave
	// it nil for a server that cannot die on its own, such as the
	// reference in process: a case then never waits to ask again.
	Healthy func(id string) error
	// Env, if set, gives the target's Env as it is now, with the Logf
	// given (target.Target.Env): every run of a case asks it, so that a
	// case run again after Healthy restarted the server on other ports
	// reaches the new server.
	Env func(logf func(format string, args ...any)) check.Env
	// NoSave keeps failing cases out of the failure directory.
	NoSave bool

	// memory, if set, is where the property remembers the failures it
	// confirmed; otherwise each property For makes has its own. See judge.
	memory *memory
	// outOfTime, if set, is called in place of skipping a case that the
	// run's end cut short, while no failure was found: TestProperties ends
	// the check there, since rapid would draw case after case to skip.
	outOfTime func()
	// explorer, if set, counts the cases judged (see coverage.go).
	explorer *explorer
}

// remembering returns h with a memory of its own, for a caller that makes
// the property anew for each case of one rapid.Check.
func (h Hooks) remembering() Hooks {
	h.memory = new(memory)
	return h
}

// mem is h's memory, or a new one.
func (h Hooks) mem() *memory {
	if h.memory != nil {
		return h.memory
	}
	return new(memory)
}

// Properties lists every property, for the tests, the campaign and reports.
var Properties = []Property{
	{"TCPScripts", []string{"TCP-ROUNDTRIP", "TCP-BYTES", "TCP-STREAM", "TCP-EOF", "TCP-RESET", "TCP-DISCONNECT", "TCP-ISOLATION", "TCP-CHURN"}, TCPScripts, TCPCases},
	{"UDPScripts", []string{"UDP-ROUNDTRIP", "UDP-BYTES", "UDP-EMPTY", "UDP-SIZE", "UDP-SOURCE", "UDP-ONCE", "UDP-CONCURRENT", "UDP-SURVIVE"}, UDPScripts, UDPCases},
}

// TCPScripts draws up to four concurrent connections, each a script of
// writes (0 to 4 KiB, biased to the byte values where uppercasing goes
// wrong), pauses and reads ending in a half-close, reset, abrupt close or
// nothing, runs them against e.TCP and judges them with check.RunTCP: after
// an orderly end the reply is exactly upper(sent) then EOF, after a reset a
// prefix of it, no connection gets another's bytes, and a new connection is
// served afterwards. One case in four goes through a network with faults
// drawn too (NetFaultsGen: segments down to 1 byte, delays, latency, a
// reset at a byte offset) and is judged by check.RunTCPThroughProxy, which
// allows for the resets it injects; shrinking drops the network when the
// failure does not need it.
func TCPScripts(e check.Env, h Hooks) func(*rapid.T) {
	m := h.mem()
	return func(t *rapid.T) {
		g := TCPCases(e)
		if g == nil {
			t.Skip("TCP not configured")
		}
		judge(t, "TCPScripts", g.Draw(t, "case"), e, h, m)
	}
}

// TCPCases generates the cases of TCPScripts, or returns nil when e has no
// TCP server.
func TCPCases(e check.Env) *rapid.Generator[*Case] {
	if e.TCP == "" {
		return nil
	}
	return rapid.Custom(func(t *rapid.T) *Case {
		s := TCPScriptGen(maxTCPConns, maxTCPSteps, maxTCPWrite).Draw(t, "script")
		c := &Case{TCP: &s}
		// 3 (not 0) draws a network, so that shrinking leaves it out.
		if rapid.IntRange(0, 3).Draw(t, "network") == 3 {
			f := NetFaultsGen().Draw(t, "faults")
			c.Net = &f
			s.Case += "; " + f.String()
		}
		return c
	})
}

// UDPScripts draws datagrams of 0 to max+1 bytes from up to four sockets,
// connected or not, sent one by one or in bursts, and judges them with
// check.RunUDP: each reply is upper of one request of that socket
// (truncated at the declared maximum), at most one per datagram, from the
// server's address. One case in four goes through a network with faults
// drawn too (UDPNetFaultsGen: datagrams dropped, duplicated, reordered,
// delayed) and is judged by check.RunUDPThroughProxy, which knows what
// the network did; shrinking drops the network when the failure does not
// need it.
func UDPScripts(e check.Env, h Hooks) func(*rapid.T) {
	m := h.mem()
	return func(t *rapid.T) {
		g := UDPCases(e)
		if g == nil {
			t.Skip("UDP not configured")
		}
		judge(t, "UDPScripts", g.Draw(t, "case"), e, h, m)
	}
}

// UDPCases generates the cases of UDPScripts, or returns nil when e has no
// UDP server.
func UDPCases(e check.Env) *rapid.Generator[*Case] {
	if e.UDP == "" {
		return nil
	}
	return rapid.Custom(func(t *rapid.T) *Case {
		s := UDPScriptGen(e.UDPMax).Draw(t, "script")
		c := &Case{UDP: &s}
		// 3 (not 0) draws a network, so that shrinking leaves it out.
		if rapid.IntRange(0, 3).Draw(t, "network") == 3 {
			f := UDPNetFaultsGen().Draw(t, "faults")
			c.UDPNet = &f
			s.Case += "; " + f.String()
		}
		return c
	})
}

// CheckTCPScripts is TCPScripts against the process's target (the
// UPCHECK_* settings, or the reference in process).
func CheckTCPScripts(t *rapid.T) { TCPScripts(env(t), TargetHooks())(t) }

// CheckUDPScripts is UDPScripts against the process's target.
func CheckUDPScripts(t *rapid.T) { UDPScripts(env(t), TargetHooks())(t) }

// TargetHooks are the hooks for the process's target: Healthy blames a
// server command that dies, or a running server that stops listening, on
// the case that killed it, and Env follows the restart; the reference in
// process cannot die on its own and gets none.
func TargetHooks() Hooks {
	t, err := Target()
	if err != nil {
		return Hooks{}
	}
	if s := t.Settings(); s.ServerCmd == "" && s.TCP == "" && s.UDP == "" {
		return Hooks{}
	}
	return Hooks{Healthy: Healthy, Env: t.Env}
}

// reporter is what judge needs of *rapid.T, *testing.T or the testing shim
// of a libFuzzer build.
type reporter interface {
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

func env(t reporter) check.Env {
	e, err := Env(t.Logf)
	if err != nil {
		t.Fatalf("harness error: %v", err)
	}
	return e
}
