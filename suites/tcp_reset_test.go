package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-RESET: a client's reset ends its own connection and nothing else. The
// seed's handler catches ConnectionResetError and breaks; a server that
// dies or stops accepting on a reset fails every other client.
var _ = Describe("TCP-RESET", Label("TCP-RESET", "tcp"), func() {
	DescribeTable("a reset ends that connection only; an open and a new connection are still served",
		func(ctx SpecContext, c check.ResetCase) {
			verify("TCP-RESET", check.TCPReset(bound(ctx), env(), c))
		},
		Entry("reset with no data", check.ResetBeforeData, within()),
		Entry("reset mid-stream", check.ResetMidStream, within()),
		Entry("reset while the server writes a large reply", check.ResetDuringReply, within()),
	)
})
