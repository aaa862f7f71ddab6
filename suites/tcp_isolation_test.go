package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-ISOLATION: many clients at once, each with a payload no other client
// sends, each get exactly their own bytes back: shared buffers or a
// connection handed the wrong socket show up as another client's bytes.
var _ = Describe("TCP-ISOLATION", Label("TCP-ISOLATION", "tcp"), func() {
	It("gives each of 200 concurrent clients exactly its own bytes", func(ctx SpecContext) {
		verify("TCP-ISOLATION", check.TCPIsolation(bound(ctx), env(), 200, 16<<10, uint64(GinkgoRandomSeed())))
	}, Serial, heavy())
})
