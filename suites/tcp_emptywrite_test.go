package suites

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/suites/check"
)

// TCP-EMPTYWRITE (INFO): a zero-length write puts nothing on the wire, so
// the server has nothing to answer. That is why the seed's client skips
// empty input: sending an empty message and waiting in recv(1024) would wait
// forever. Reported as an observation; it never fails the run.
var _ = Describe("TCP-EMPTYWRITE", Label("TCP-EMPTYWRITE", "tcp"), func() {
	It("gets no reply to a zero-length write", func(ctx SpecContext) {
		observe("TCP-EMPTYWRITE", check.TCPEmptyWrite(bound(ctx), env()),
			"a zero-length write sent nothing and brought no reply; the next message got exactly its own reply")
	}, within())
})
