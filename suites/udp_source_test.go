package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-SOURCE: the reply comes from the address and port the request went
// to. A server that answers from another socket looks fine to an
// unconnected client, but a connected client (connect(2) before send) never
// sees the reply: the kernel drops it.
var _ = Describe("UDP-SOURCE", Label("UDP-SOURCE", "udp"), func() {
	It("answers from the address it was sent to, so connected clients work", func(ctx SpecContext) {
		verify("UDP-SOURCE", check.UDPSource(bound(ctx), env()))
	}, within())
})
