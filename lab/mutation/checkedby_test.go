package mutation

import (
	"strings"
	"testing"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/suiterun"
)

func TestCheckedBy(t *testing.T) {
	specs := []suiterun.Spec{
		{Containers: []string{"TCP-EOF", "after a half-close every reply byte arrives"}, Leaf: "write then half-close", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"TCP-EOF", "after a half-close every reply byte arrives"}, Leaf: "half-close with nothing sent", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"TCP-EOF through a proxy"}, Leaf: "1-byte segments", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"TCP-EOF"}, Leaf: "gets EOF", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"UDP-ONCE"}, Leaf: "sends one reply per datagram", Labels: []string{"UDP-ONCE", "udp"}},
	}
	props := []fuzz.Property{{Name: "TCPScripts", IDs: []string{"TCP-EOF"}}}
	rows := []Row{
		{Mutant: "ResetOnEOF", Breaks: []string{"TCP-EOF"}, Failing: []string{"TCP-EOF", "TCP-ROUNDTRIP"}},
		{Mutant: "UDPTwice", Breaks: []string{"UDP-ONCE"}, Failing: []string{"UDP-ONCE"}},
	}
	got := CheckedBy(specs, props, rows)
	for _, req := range check.Requirements {
		if !strings.Contains(got, "### "+req.ID+" ("+string(req.Level)+")\n") {
			t.Errorf("no section for %s", req.ID)
		}
	}
	eof := between(got, "### TCP-EOF (MUST)", "###")
	for _, want := range []string{
		"- specs (4):\n  - after a half-close every reply byte arrives: write then half-close; half-close with nothing sent\n  - through a proxy: 1-byte segments\n  - gets EOF\n",
		"- fuzz properties: TCPScripts\n",
		"- mutants written to break it: ResetOnEOF\n",
		"- other mutants it fails: -\n",
	} {
		if !strings.Contains(eof, want) {
			t.Errorf("TCP-EOF section lacks %q:\n%s", want, eof)
		}
	}
	rt := between(got, "### TCP-ROUNDTRIP (MUST)", "###")
	for _, want := range []string{"- specs (0): -\n", "- fuzz properties: -\n", "- other mutants it fails: ResetOnEOF\n"} {
		if !strings.Contains(rt, want) {
			t.Errorf("TCP-ROUNDTRIP section lacks %q:\n%s", want, rt)
		}
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(after, end)
	return in
}
