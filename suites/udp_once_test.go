package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-ONCE: exactly one reply per datagram. Unique payloads are resent only
// while unanswered, and each send may bring at most one reply; after a quiet
// period every reply beyond that, every extra datagram and every reply
// larger than its request counts.
var _ = Describe("UDP-ONCE", Label("UDP-ONCE", "udp"), func() {
	It("sends one reply per datagram, never a duplicate, an extra or a larger one", func(ctx SpecContext) {
		verify("UDP-ONCE", check.UDPOnce(bound(ctx), env(), 100))
	}, within())
})
