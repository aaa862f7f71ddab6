package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-ONCE: exactly one reply per datagram. Unique payloads are sent once
// each and never resent; after a quiet period every duplicate, extra or
// oversized reply counts. A lost reply is not a UDP-ONCE failure.
var _ = Describe("UDP-ONCE", Label("UDP-ONCE", "udp"), func() {
	It("sends one reply per datagram, never a duplicate, an extra or a larger one", func(ctx SpecContext) {
		verify("UDP-ONCE", check.UDPOnce(bound(ctx), env(), 100))
	}, within())
})
