package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-SIZE: payloads up to the declared maximum (UPCHECK_UDP_MAX, 8192 for
// the reference: socketserver's max_packet_size) come back whole; larger
// ones come back cut to the maximum, as recvfrom(max) leaves them.
var _ = Describe("UDP-SIZE", Label("UDP-SIZE", "udp"), func() {
	max := settings.UDPMax
	if max <= 0 {
		max = check.DefaultUDPMax
	}
	var entries []TableEntry
	for _, n := range check.UDPSizes(max) {
		entries = append(entries, Entry(sizeName(n, max), n, within()))
	}
	DescribeTable("a payload up to the declared maximum comes back whole, a larger one cut to it",
		func(ctx SpecContext, size int) {
			verify("UDP-SIZE", check.UDPSize(bound(ctx), env(), size))
		}, entries)
})

// sizeName names a UDP-SIZE case by its size and its relation to the
// declared maximum.
func sizeName(n, max int) string {
	var rel string
	switch n {
	case max - 1:
		rel = "the maximum - 1"
	case max:
		rel = "the declared maximum"
	case max + 1:
		rel = "the maximum + 1"
	case check.MaxUDPPayload:
		rel = "the largest IPv4 datagram"
	}
	name := fmt.Sprintf("%d bytes", n)
	if n == 1 {
		name = "1 byte"
	}
	if rel == "" {
		return name
	}
	return name + ", " + rel
}
