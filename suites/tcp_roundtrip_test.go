package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// TCP-ROUNDTRIP: what a client writes is answered while the connection
// stays open, as the seed's client expects: it sends a line and waits in
// recv(1024) for the reply before it sends the next.
var _ = Describe("TCP-ROUNDTRIP", Label("TCP-ROUNDTRIP", "tcp"), func() {
	DescribeTable("a request is answered without the client closing or writing more",
		func(ctx SpecContext, name string, payload []byte) {
			verify("TCP-ROUNDTRIP", check.TCPRoundTrip(bound(ctx), env(), name, payload))
		},
		Entry("1 byte", "1 byte", []byte("a"), within()),
		Entry("the seed client's line", "client33333", []byte("client33333"), within()),
		Entry("1023 bytes", "1023 bytes", clients.Payload(0, 1023), within()),
		Entry("1024 bytes, the seed's recv size", "1024 bytes", clients.Payload(1, 1024), within()),
		Entry("1025 bytes, one more than the seed's recv size", "1025 bytes", clients.Payload(2, 1025), within()),
	)

	It("answers 100 ping-pongs on one connection, each before the next is sent", func(ctx SpecContext) {
		verify("TCP-ROUNDTRIP", check.TCPPingPong(bound(ctx), env(), 100, []byte("ping")))
	}, within())
})
