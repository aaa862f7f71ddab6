package fuzz

import (
	"strings"
	"testing"
)

// TestProperties runs every rapid property against the target for
// -rapid.checks cases (make test: the default; make fuzz: many more). In a
// run with an end, each property gets an equal part of the time left: the
// properties are run by time when -rapid.checks is more than fits.
func TestProperties(t *testing.T) {
	e := env(t)
	left := 0 // the properties still to run that the target serves
	for _, p := range Properties {
		if p.Gen(e) != nil {
			left++
		}
	}
	for _, p := range Properties {
		share := max(left, 1)
		if p.Gen(e) != nil {
			left--
		}
		t.Run(p.Name, func(t *testing.T) {
			t.Logf("checks %s", strings.Join(p.IDs, ", "))
			if !p.CheckShare(t, share) {
				t.Skipf("the target does not serve %s's protocol", p.Name)
			}
		})
	}
}
