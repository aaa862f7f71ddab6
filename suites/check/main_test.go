package check_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// check must end all it started, sockets and readers included, before it
// returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
