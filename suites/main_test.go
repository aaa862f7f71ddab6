package suites

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/suites/spec"
)

// TestSuites runs the conformance suite, the specs of package spec, as
// spec.Run does. RunSpecs is called here, in a test file that imports
// ginkgo, because that is how the ginkgo CLI knows a suite: it passes its
// flags (--label-filter, ...) only to such a package.
func TestSuites(t *testing.T) {
	gomega.RegisterFailHandler(Fail)
	RunSpecs(t, spec.Description)
}

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
