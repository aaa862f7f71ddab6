package servers

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// server must end all it started by the time Close or Shutdown returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
