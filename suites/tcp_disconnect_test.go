package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-DISCONNECT: a client that goes away without reading (a closed
// terminal, a killed process) harms nothing else: the server's failed send
// ends that handler only.
var _ = Describe("TCP-DISCONNECT", Label("TCP-DISCONNECT", "tcp"), func() {
	DescribeTable("a vanishing client harms nothing; an open and a new connection are still served",
		func(ctx SpecContext, c check.DisconnectCase) {
			verify("TCP-DISCONNECT", check.TCPDisconnect(bound(ctx), env(), c))
		},
		Entry("close without reading a large reply", check.CloseUnread, within()),
		Entry("close mid-write", check.CloseMidWrite, within()),
		Entry("close mid-reply", check.CloseMidReply, within()),
	)
})
