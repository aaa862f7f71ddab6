package hostile_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a check, or a hostile server, leaves a
// goroutine behind, and removes the binaries the suite tests built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeBinaries()
		os.Exit(code)
	}))
}
