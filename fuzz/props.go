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
)

// Property is a rapid property together with the requirement IDs it checks.
type Property struct {
	Name string
	IDs  []string
	Fn   func(*rapid.T)
}

// Properties lists every property, for the tests, the campaign and reports.
var Properties = []Property{
	{"TCPScripts", []string{"TCP-ROUNDTRIP", "TCP-BYTES", "TCP-STREAM", "TCP-EOF", "TCP-RESET", "TCP-DISCONNECT", "TCP-ISOLATION", "TCP-CHURN"}, CheckTCPScripts},
	{"UDPScripts", []string{"UDP-ROUNDTRIP", "UDP-BYTES", "UDP-EMPTY", "UDP-SIZE", "UDP-SOURCE", "UDP-ONCE", "UDP-CONCURRENT", "UDP-SURVIVE"}, CheckUDPScripts},
}

// CheckTCPScripts draws up to four concurrent connections, each a script of
// writes (0 to 4 KiB, biased to the byte values where uppercasing goes
// wrong), pauses and reads ending in a half-close, reset, abrupt close or
// nothing, runs them against the target and judges them with check.RunTCP:
// after an orderly end the reply is exactly upper(sent) then EOF, after a
// reset a prefix of it, no connection gets another's bytes, and a new
// connection is served afterwards.
func CheckTCPScripts(t *rapid.T) {
	e := env(t)
	if e.TCP == "" {
		t.Skip("TCP not configured")
	}
	s := TCPScriptGen(maxTCPConns, maxTCPSteps, maxTCPWrite).Draw(t, "script")
	judge(t, "TCPScripts", &Case{TCP: &s}, e)
}

// CheckUDPScripts draws datagrams of 0 to max+1 bytes from up to four
// sockets, connected or not, sent one by one or in bursts, and judges them
// with check.RunUDP: each reply is upper of one request of that socket
// (truncated at the declared maximum), at most one per datagram, from the
// server's address.
func CheckUDPScripts(t *rapid.T) {
	e := env(t)
	if e.UDP == "" {
		t.Skip("UDP not configured")
	}
	s := UDPScriptGen(e.UDPMax).Draw(t, "script")
	judge(t, "UDPScripts", &Case{UDP: &s}, e)
}

func env(t *rapid.T) check.Env {
	e, err := Env(t.Logf)
	if err != nil {
		t.Fatalf("harness error: %v", err)
	}
	return e
}

// judge runs c; on a violation it saves the case for replay and fails with
// the deterministic violation text.
func judge(t *rapid.T, property string, c *Case, e check.Env) {
	ctx, cancel := context.WithTimeout(context.Background(), e.T(caseTimeout))
	defer cancel()
	err := c.Run(ctx, e)
	if herr := Healthy(property); herr != nil {
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
	if path, serr := c.Save(property); serr != nil {
		t.Logf("cannot save the case: %v", serr)
	} else {
		t.Logf("replay: %s", ReplayCommand(path))
	}
	t.Fatalf("%v", err)
}
