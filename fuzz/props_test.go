package fuzz

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestProperties runs every rapid property against the target for
// -rapid.checks cases (make test: the default; make fuzz: many more).
func TestProperties(t *testing.T) {
	for _, p := range Properties {
		t.Run(p.Name, func(t *testing.T) {
			if p.Gen(env(t)) == nil {
				// Skipped here: rapid counts a case that skips as
				// invalid, and fails when none is valid.
				t.Skipf("the target does not serve %s's protocol", p.Name)
			}
			if left, ok := timeLeft(); ok && left < caseTimeoutFor(env(t)) {
				// rapid fails a check whose every case was cut short.
				t.Skipf("the run's time is up: %v left, less than one case may take", left.Round(time.Second))
			}
			t.Logf("checks %s", strings.Join(p.IDs, ", "))
			// The property is made anew for each case, with the target's
			// current addresses (a server command that crashed may be
			// back on other ports), and one memory for the whole check.
			h := TargetHooks().remembering()
			cases := 0
			h.outOfTime = func() {
				t.Skipf("the run's time is up: stopped after %d cases, none failing", cases)
			}
			rapid.Check(t, func(rt *rapid.T) {
				cases++
				p.For(env(rt), h)(rt)
			})
		})
	}
}
