package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-SURVIVE: the server keeps answering after replies to closed ports
// (ICMP port unreachable, which some platforms report as a read error:
// the seed's ConnectionResetError), oversized datagrams and a flood.
var _ = Describe("UDP-SURVIVE", Label("UDP-SURVIVE", "udp"), func() {
	It("keeps answering after replies to closed ports, oversized datagrams and a burst of 10,000", func(ctx SpecContext) {
		verify("UDP-SURVIVE", check.UDPSurvive(bound(ctx), env(), 10000))
	}, Serial, heavy())
})
