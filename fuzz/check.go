package fuzz

import "pgregory.net/rapid"

// Check runs property p against the process's target (Target) for rapid's
// -rapid.checks cases, reporting to t; it returns false, having run
// nothing, when the target does not serve p's protocol. TestProperties and
// upcheck fuzz (without the Go toolchain) run the properties so.
func (p Property) Check(t rapid.TB) bool {
	if p.Gen(env(t)) == nil {
		// Not run: rapid counts a case that skips as invalid, and fails
		// when none is valid.
		return false
	}
	// The property is made anew for each case, with the target's current
	// addresses (a server command that crashed may be back on other
	// ports), and one memory for the whole check.
	h := TargetHooks().remembering()
	rapid.Check(t, func(rt *rapid.T) { p.For(env(rt), h)(rt) })
	return true
}
