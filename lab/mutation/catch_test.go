package mutation

import (
	"flag"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestCatchRecordsAFalsifiedProperty(t *testing.T) {
	c := Catch("over100", func(t *rapid.T) {
		n := rapid.IntRange(0, 1000).Draw(t, "n")
		if n > 100 {
			t.Fatalf("%d is over 100", n)
		}
	})
	if !c.Failed() || !c.Falsified() || c.Skipped() {
		t.Fatalf("Failed %v, Falsified %v, Skipped %v; want falsified", c.Failed(), c.Falsified(), c.Skipped())
	}
	if c.Passed() < 0 {
		t.Errorf("Passed() = %d; errors %q", c.Passed(), c.Errors())
	}
	// Shrunk to the smallest failing value, without rapid's instructions.
	if got := c.Failure(); got != "101 is over 100" {
		t.Errorf("Failure() = %q, want %q (errors: %q)", got, "101 is over 100", c.Errors())
	}
	if len(c.Lines()) == 0 {
		t.Error("nothing logged")
	}
}

func TestCatchRecordsAPassingProperty(t *testing.T) {
	n := 0
	c := Catch("pass", func(t *rapid.T) {
		n++
		rapid.Int().Draw(t, "n")
	})
	if c.Failed() || c.Falsified() || c.Failure() != "" || c.Passed() != -1 {
		t.Errorf("Failed %v, Falsified %v, Failure %q; want a pass", c.Failed(), c.Falsified(), c.Failure())
	}
	want, _ := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
	if testing.Short() {
		want /= 5 // as rapid does
	}
	if n != want {
		t.Errorf("%d checks, want %d", n, want)
	}
}

// A property whose every case skips itself (its protocol is not served)
// fails the check, and is not falsified.
func TestCatchTellsInvalidFromFalsified(t *testing.T) {
	c := Catch("skip", func(t *rapid.T) { t.Skip("not configured") })
	if !c.Failed() || c.Falsified() {
		t.Errorf("Failed %v, Falsified %v; want failed, not falsified (errors %q)", c.Failed(), c.Falsified(), c.Errors())
	}
}

func TestCatchRecordsAPanic(t *testing.T) {
	c := Catch("panic", func(t *rapid.T) { panic("boom") })
	if !c.Falsified() || !strings.Contains(strings.Join(c.Errors(), "\n"), "boom") {
		t.Errorf("Falsified %v, errors %q", c.Falsified(), c.Errors())
	}
}
