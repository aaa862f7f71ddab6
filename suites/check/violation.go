package check

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// Violation is one misbehaviour a check observed: which requirement it
// breaks, in which case, what was expected, what was observed, and where.
// Its text is deterministic (no ports, no timings) so that a property-based
// fuzzer can shrink a failure while the text stays the same.
type Violation struct {
	ID       string `json:"id"`
	Case     string `json:"case"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Where    string `json:"where,omitempty"`
}

// Error formats v on one line: "ID [case]: expected ...; observed ...; where".
func (v *Violation) Error() string {
	var b strings.Builder
	b.WriteString(v.ID)
	if v.Case != "" {
		fmt.Fprintf(&b, " [%s]", v.Case)
	}
	fmt.Fprintf(&b, ": expected %s; observed %s", v.Expected, v.Observed)
	if v.Where != "" {
		fmt.Fprintf(&b, "; %s", v.Where)
	}
	return b.String()
}

// Violations is every misbehaviour one check found. As an error its text is
// one violation per line.
type Violations []*Violation

func (vs Violations) Error() string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns vs as an error, or nil when it is empty.
func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// AsViolations returns every violation inside err, walking wrapped and
// joined errors (nil if it holds none).
func AsViolations(err error) Violations {
	var out Violations
	var walk func(error)
	walk = func(err error) {
		switch x := err.(type) {
		case nil:
		case Violations:
			out = append(out, x...)
		case *Violation:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

// IDs returns the distinct requirement IDs of vs in order of appearance.
func (vs Violations) IDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v.ID] {
			seen[v.ID] = true
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// add appends a violation built from its parts.
func (vs *Violations) add(id, kase, expected, observed, where string) {
	*vs = append(*vs, &Violation{ID: id, Case: kase, Expected: expected, Observed: observed, Where: where})
}

// Excerpt is how many bytes of each side a difference shows after its
// first differing offset.
const excerpt = 16

// DiffBytes describes the first difference between want and got: the
// offset and a hex excerpt of both sides from a few bytes before it. It
// returns "" when they are equal.
func DiffBytes(want, got []byte) string {
	n := min(len(want), len(got))
	i := 0
	for i < n && want[i] == got[i] {
		i++
	}
	if i == n && len(want) == len(got) {
		return ""
	}
	from := max(0, i-4)
	return fmt.Sprintf("first difference at offset %d: want %s, got %s", i, hexAt(want, from, i), hexAt(got, from, i))
}

// firstDiff returns the first offset where want and got differ (the shorter
// length when one is a prefix of the other), or -1 when they are equal.
func firstDiff(want, got []byte) int {
	n := min(len(want), len(got))
	for i := range n {
		if want[i] != got[i] {
			return i
		}
	}
	if len(want) == len(got) {
		return -1
	}
	return n
}

// hexAt renders b[from:at+excerpt] in hex, with "|" marking offset at and
// "(end)" where b stops.
func hexAt(b []byte, from, at int) string {
	var s strings.Builder
	for i := from; i < at+excerpt; i++ {
		if i == at {
			s.WriteString("|")
		}
		if i >= len(b) {
			s.WriteString("(end)")
			break
		}
		fmt.Fprintf(&s, "%02x", b[i])
		if i+1 < at+excerpt && i+1 != at {
			s.WriteString(" ")
		}
	}
	if at+excerpt < len(b) {
		s.WriteString("…")
	}
	return s.String()
}

// nBytes says "1 byte" or "N bytes".
func nBytes(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// Payload returns b as a payload: a convenience for literal strings.
func Payload(s string) []byte { return []byte(s) }

var addrPattern = regexp.MustCompile(`(\[[0-9a-fA-F:.]+\]|[0-9]+(\.[0-9]+){3}):[0-9]+`)

// DescribeErr names a network error without ports or timings: "connection
// refused", "reset", "timeout", "EOF", or the error text with addresses
// removed. It keeps failure text deterministic.
func DescribeErr(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	return addrPattern.ReplaceAllString(err.Error(), "ADDR")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
