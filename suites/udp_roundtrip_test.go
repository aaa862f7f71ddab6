package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// UDP-ROUNDTRIP: each datagram is answered by one datagram carrying its
// uppercase, as the seed's server answers with one sendto(data.upper()).
var _ = Describe("UDP-ROUNDTRIP", Label("UDP-ROUNDTRIP", "udp"), func() {
	DescribeTable("a datagram is answered by one datagram carrying upper(payload)",
		func(ctx SpecContext, name string, payload []byte) {
			verify("UDP-ROUNDTRIP", check.UDPRoundTrip(bound(ctx), env(), name, payload))
		},
		Entry("1 byte", "1 byte", []byte("a"), within()),
		Entry("the seed client's line", "client33333", []byte("client33333"), within()),
		Entry("1024 bytes", "1024 bytes", clients.Payload(0, 1024), within()),
	)
})
