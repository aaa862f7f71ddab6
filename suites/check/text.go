package check

import (
	"fmt"
	"strings"

	"github.com/upcheck/upcheck/clients"
)

// excerpt is how many bytes of each side a difference shows after its
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

// plural returns "1 send", "2 sends".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// hexStart renders the first bytes of b in hex, with "…" if there are more.
func hexStart(b []byte) string {
	var s strings.Builder
	for i, c := range b[:min(len(b), excerpt)] {
		if i > 0 {
			s.WriteString(" ")
		}
		fmt.Fprintf(&s, "%02x", c)
	}
	if len(b) > excerpt {
		s.WriteString("…")
	}
	return s.String()
}

// truncateForText keeps failure text short.
func truncateForText(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// describeWant says what the reply to a request of n bytes is.
func describeWant(n, max int) string {
	if n > max {
		return fmt.Sprintf("upper of the first %d bytes of the %d-byte request", max, n)
	}
	return "upper(request)"
}

// describeEnd says how a stream ended when it did not end in an orderly
// EOF after the reply; err is the error behind end.
func describeEnd(end clients.End, err error) string {
	switch end {
	case clients.EndReset:
		return "a reset instead of an orderly close"
	case clients.EndLimit:
		return "bytes kept coming past the reply (reading stopped at the cap)"
	case clients.EndTimeout:
		return "no EOF within the timeout"
	}
	return "the stream ended with an error: " + clients.DescribeErr(err)
}

// describeStall says how a wait for the reply fell short: "3 of 5 reply
// bytes, then the stream ended (EOF)"; end says how the stream ended, if
// it had.
func describeStall(st tcpStall, end clients.End) string {
	how := "no further byte within the timeout"
	if st.ended {
		how = "the stream ended (" + end.String() + ")"
	}
	return fmt.Sprintf("%d of %d reply bytes, then %s", st.total, st.want, how)
}
