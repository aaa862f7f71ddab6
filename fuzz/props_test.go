package fuzz

import (
	"strings"
	"testing"
)

// TestProperties runs every rapid property against the target for
// -rapid.checks cases (make test: the default; make fuzz: many more).
func TestProperties(t *testing.T) {
	for _, p := range Properties {
		t.Run(p.Name, func(t *testing.T) {
			t.Logf("checks %s", strings.Join(p.IDs, ", "))
			if !p.Check(t) {
				t.Skipf("the target does not serve %s's protocol", p.Name)
			}
		})
	}
}
