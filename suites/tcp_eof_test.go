package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// TCP-EOF: a client that half-closes (shutdown(SHUT_WR)) still gets every
// reply byte it is owed, then an orderly close: the seed's handler breaks
// on the empty read only after answering everything before it, and
// socketserver shuts the connection down rather than resetting it.
var _ = Describe("TCP-EOF", Label("TCP-EOF", "tcp"), func() {
	DescribeTable("after a half-close every reply byte arrives, then EOF, not a reset",
		func(ctx SpecContext, name string, payload []byte) {
			verify("TCP-EOF", check.TCPEOF(bound(ctx), env(), name, payload))
		},
		Entry("write then half-close at once", "write then half-close at once", []byte("hello, world"), within()),
		Entry("half-close with nothing sent", "half-close with nothing sent", nil, within()),
		Entry("half-close right after a 64 KiB write", "half-close after a 64 KiB write", clients.Payload(0, 64<<10), within()),
		Entry("half-close right after a 1 MiB write", "half-close after a 1 MiB write", clients.Payload(1, 1<<20), within()),
	)
})
