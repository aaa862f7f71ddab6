package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-EMPTY: unlike a zero-length TCP write, a zero-length datagram exists
// on the wire, and socketserver answers it with sendto(b"".upper()).
var _ = Describe("UDP-EMPTY", Label("UDP-EMPTY", "udp"), func() {
	It("answers a zero-length datagram with a zero-length datagram", func(ctx SpecContext) {
		verify("UDP-EMPTY", check.UDPEmpty(bound(ctx), env()))
	}, within())
})
