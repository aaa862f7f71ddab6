package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-CONCURRENT: many clients at once each receive only their own
// replies, matched by content: a server that answers to the last sender
// instead of each request's source sends replies to the wrong client.
var _ = Describe("UDP-CONCURRENT", Label("UDP-CONCURRENT", "udp"), func() {
	It("answers 50 sockets x 20 datagrams, each reply to its own socket", func(ctx SpecContext) {
		verify("UDP-CONCURRENT", check.UDPConcurrent(bound(ctx), env(), 50, 20))
	}, Serial, heavy())
})
