package suites

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/suites/spec"
)

// TestSuites runs the conformance suite, the specs of package spec.
func TestSuites(t *testing.T) { spec.Run(t) }

// TestMain checks that nothing the suite started outlives it: the target's
// servers and commands, the checks' connections and readers. Ginkgo's
// interrupt handler (and, in a parallel run, its poller of the other
// processes) stays for the life of the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func1"),
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"),
	)
}
