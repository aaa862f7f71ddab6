package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// UDP-BYTES: the byte mapping of TCP-BYTES, on datagrams: a-z become A-Z,
// every other byte value is unchanged, the length is kept.
var _ = Describe("UDP-BYTES", Label("UDP-BYTES", "udp"), func() {
	It("maps each of the 256 byte values alone, each in its own datagram", func(ctx SpecContext) {
		ds := make([][]byte, 256)
		for i := range ds {
			ds[i] = []byte{byte(i)}
		}
		verify("UDP-BYTES", check.RunUDP(bound(ctx), env(), check.UDPScript{ID: "UDP-BYTES", Case: "each byte value alone",
			Sockets: []check.UDPSocketScript{{Datagrams: ds}}}))
	}, within())

	DescribeTable("comes back byte for byte with only a-z changed",
		func(ctx SpecContext, name string, payload []byte) {
			verify("UDP-BYTES", check.UDPBytes(bound(ctx), env(), name, payload))
		},
		Entry("all 256 byte values together", "all 256 byte values together", allBytes(), within()),
		Entry("UTF-8 é, ß and an emoji", "UTF-8 é ß emoji", []byte("café straße \U0001F600"), within()),
		Entry("UTF-8 ı and ſ, which Unicode uppercases to I and S", "UTF-8 ı ſ", []byte("ı ſ dotless"), within()),
		Entry("invalid UTF-8", "invalid UTF-8", []byte("a\xffb\xfec\x80 abc\xc3 x\xc0\xaf\xed\xa0\x80"), within()),
	)
})
