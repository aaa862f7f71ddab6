package suites

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-CONCURRENT: connections are served at once, as the seed's
// ThreadingTCPServer serves each in its own thread: a client that sits idle
// or types slowly never holds up another. A server that serves one
// connection at a time, or a fixed pool smaller than its clients, fails.
var _ = Describe("TCP-CONCURRENT", Label("TCP-CONCURRENT", "tcp"), func() {
	It("answers 100 slow clients at once while idle clients hold their connections", func(ctx SpecContext) {
		verify("TCP-CONCURRENT", check.TCPConcurrent(bound(ctx), env(), 5, 100, 5, scaled(20*time.Millisecond)))
	}, Serial, heavy())

	// The idle clients stay silent for longer than a reply may take, so a
	// server that gives them the only (or every pooled) handler answers no
	// one else in time.
	It("answers others while 20 idle clients hold their connections past the reply timeout", func(ctx SpecContext) {
		pause := scaled(check.ReplyTimeout/3 + 100*time.Millisecond) // idle for 3 pauses
		verify("TCP-CONCURRENT", check.TCPConcurrent(bound(ctx), env(), 20, 5, 2, pause))
	}, heavy())
})
