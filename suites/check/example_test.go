package check_test

import (
	"context"
	"fmt"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

// Run runs the TCP-EOF cases against a server (here the reference) and
// reports what they found.
func ExampleRun() {
	srv := serverstest.NewServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env := check.Env{TCP: srv.TCPAddr, UDP: srv.UDPAddr}
	cases := check.Table(check.Options{}).Select(check.Only(check.ReqTCPEOF))
	results := check.Run(ctx, env, cases)
	fmt.Printf("%d cases, %d violations, error: %v\n", len(results), len(results.Violations()), results.Err())
	// Output: 8 cases, 0 violations, error: <nil>
}

// A check can also be called alone, with parameters of its own.
func ExampleTCPChurn() {
	srv := serverstest.NewServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := check.TCPChurn(ctx, check.Env{TCP: srv.TCPAddr}, check.ChurnParams{Sequential: 20, Overlapping: 20, Parallel: 4, ResetEvery: 5})
	fmt.Println(err)
	// Output: <nil>
}
