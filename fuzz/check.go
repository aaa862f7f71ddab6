package fuzz

import (
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

// Check runs property p against the process's target (Target) for rapid's
// -rapid.checks cases, reporting to t; it returns false, having run
// nothing, when the target does not serve p's protocol. TestProperties and
// upcheck fuzz (without the Go toolchain) run the properties so. When the
// run's time is up (timeLeft) it skips t, saying so, rather than start or
// go on drawing cases that would be cut short.
func (p Property) Check(t rapid.TB) bool { return p.CheckShare(t, 1) }

// CheckShare is Check for a property that has 1/share of the run's time
// left (when the run has an end), the rest being for the share-1
// properties after it: once that part is used, it stops drawing cases, as
// at the run's end, unless a failure was found, which rapid then shrinks.
// A campaign thus runs its properties by time: with -rapid.checks higher
// than fit, each gets its part of the run. A property that ends sooner
// leaves its time to the ones after it.
func (p Property) CheckShare(t rapid.TB, share int) bool {
	if p.Gen(env(t)) == nil {
		// Not run: rapid counts a case that skips as invalid, and fails
		// when none is valid.
		return false
	}
	left, ok := timeLeft()
	if ok && left < caseTimeoutFor(env(t)) {
		// rapid fails a check whose every case was cut short.
		t.Skipf("the run's time is up: %v left, less than one case may take", left.Round(time.Second))
	}
	var until time.Time // this property's part of the run; zero: none
	if ok && share > 1 {
		until = time.Now().Add(left / time.Duration(share))
	}
	// The property is made anew for each case, with the target's current
	// addresses (a server command that crashed may be back on other
	// ports), and one memory for the whole check.
	h := TargetHooks().remembering()
	cases := 0
	h.outOfTime = func() {
		t.Skipf("the run's time is up: stopped after %d cases, none failing", cases)
	}
	// What the check covers is logged as it goes and at its end, however
	// it ends (fuzzspec.Explored).
	h.explorer = newExplorer(p.Name, checksFlag(), t.Logf, time.Now)
	defer func() { t.Logf("%s", h.explorer.explored().Line(fuzzspec.ExploredPrefix)) }()
	rapid.Check(t, func(rt *rapid.T) {
		if !until.IsZero() && time.Now().After(until) && !h.memory.any() {
			t.Skipf("the run's time is up: stopped after %d cases, none failing, leaving the rest of the run to the properties after it", cases)
		}
		cases++
		p.For(env(rt), h)(rt)
	})
	return true
}
