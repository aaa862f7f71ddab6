package mutation

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/suites/report"
)

// byteAndOffset is how a byte-mapping failure names what went wrong:
// the byte value and what it became, then where.
var (
	// "byte 0x80 changed to 0xef", or, when the length changed, "1 byte
	// 80 became the 3 bytes ef bf bd".
	namesByte   = regexp.MustCompile(`byte 0x[0-9a-f]{2} changed to 0x[0-9a-f]{2}|\d+ bytes? [0-9a-f]{2}( [0-9a-f]{2})* became the \d+ bytes? [0-9a-f]{2}`)
	namesOffset = regexp.MustCompile(`offset \d+: want \|[0-9a-f ]+`)
)

// TestBytesToUpperIsNamedByteByByte: a server that uppercases with
// bytes.ToUpper (Unicode rules, invalid UTF-8 rewritten as U+FFFD) fails
// TCP-BYTES and UDP-BYTES, and the report says which byte became what,
// at which offset.
func TestBytesToUpperIsNamedByteByByte(t *testing.T) {
	c := suites(t)
	for _, tc := range []struct{ mutant, id string }{
		{"UnicodeUpper", "TCP-BYTES"},
		{"UDPUnicodeUpper", "UDP-BYTES"},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			r := c.mutantRuns[tc.mutant]
			if r.err != nil {
				t.Fatal(r.err)
			}
			q, ok := r.res.Requirement(tc.id)
			if !ok {
				t.Fatalf("no %s in the report", tc.id)
			}
			if q.Status != report.Fail {
				t.Fatalf("%s is %q, want fail", tc.id, q.Status)
			}
			if !namesByte.MatchString(q.Observed) {
				t.Errorf("observed %q does not name the byte and what it became", q.Observed)
			}
			if !namesOffset.MatchString(q.Evidence) {
				t.Errorf("evidence %q does not name the offset and the bytes wanted", q.Evidence)
			}
			if !strings.Contains(q.Expected, "upper(request)") {
				t.Errorf("expected %q does not say upper(request)", q.Expected)
			}
		})
	}
}

// exitAtOnceBound is how soon a run against a command that exits at once
// must end.
const exitAtOnceBound = 20 * time.Second

// TestCommandThatExitsAtOnce: a server command that exits at once ends the
// run quickly with a harness error: every requirement "error", with the
// command's status and output, and a failing exit status.
func TestCommandThatExitsAtOnce(t *testing.T) {
	c := suites(t)
	r := c.exitAtOnce
	if r.err != nil {
		t.Fatal(r.err)
	}
	res := r.res
	if bound := slow.Bound(exitAtOnceBound); res.Elapsed >= bound {
		t.Errorf("the run took %v, want under %v", res.Elapsed, bound)
	}
	if res.ExitCode == 0 {
		t.Errorf("the suites exited 0")
	}
	he := res.Report.HarnessError
	for _, want := range []string{"exited (status 3) before answering", exitAtOnceCmd} {
		if !strings.Contains(he, want) {
			t.Errorf("harness error %q does not say %q", he, want)
		}
	}
	for _, q := range res.Report.Requirements {
		if q.Status != report.Error {
			t.Errorf("%s is %q, want %q", q.ID, q.Status, report.Error)
		}
	}
	for _, s := range res.Specs {
		if s.State == "passed" || s.State == "failed" {
			t.Errorf("spec %q %s although the server never came up", s.Text, s.State)
		}
	}
}
