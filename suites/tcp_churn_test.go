package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-CHURN: the server keeps accepting through thousands of short
// connections, one after another and overlapping, some ending in a reset:
// leaked sockets, threads or handlers show up as refused or unanswered
// connections.
var _ = Describe("TCP-CHURN", Label("TCP-CHURN", "tcp"), func() {
	It("serves 2000 sequential and 500 overlapping connections, every 10th reset", func(ctx SpecContext) {
		// At most 4 overlapping connections in flight: Python's
		// socketserver listens with a backlog of 5, and an overflowing
		// accept queue drops or resets connections, which is the
		// kernel's doing, not a violation.
		verify("TCP-CHURN", check.TCPChurn(bound(ctx), env(), 2000, 500, 4, 10))
	}, Serial, heavy())
})
