package mutation

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// update makes TestSemanticsCheckedBy rewrite SEMANTICS.md's "Checked by"
// sections instead of failing when they are stale (go generate).
var update = flag.Bool("update", false, "regenerate SEMANTICS.md's \"Checked by\" sections")

func sampleCoverage() ([]suiterun.Spec, []fuzz.Property, []Row) {
	specs := []suiterun.Spec{
		{Containers: []string{"TCP-EOF through a proxy", "the half-close follows"}, Leaf: "1-byte segments", Labels: []string{"TCP-EOF", "tcp", "proxy"}},
		{Containers: []string{"TCP-EOF", "after a half-close every reply byte arrives"}, Leaf: "write then half-close", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"TCP-EOF", "after a half-close every reply byte arrives"}, Leaf: "half-close with nothing sent", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"TCP-EOF"}, Leaf: "gets EOF", Labels: []string{"TCP-EOF", "tcp"}},
		{Containers: []string{"UDP-ONCE"}, Leaf: "sends one reply per datagram", Labels: []string{"UDP-ONCE", "udp"}},
	}
	props := []fuzz.Property{{Name: "TCPScripts", IDs: []string{"TCP-EOF"}}}
	rows := []Row{
		{Mutant: "ResetOnEOF", Breaks: []string{"TCP-EOF"}, Failing: []string{"TCP-EOF", "TCP-ROUNDTRIP"}},
		{Mutant: "CrashOnTelnetSB", Breaks: []string{"TCP-STREAM", "TCP-EOF"}, Failing: []string{"TCP-STREAM"}},
		{Mutant: "UDPTwice", Breaks: []string{"UDP-ONCE"}, Failing: []string{"UDP-ONCE"}},
	}
	return specs, props, rows
}

func TestCheckedBy(t *testing.T) {
	specs, props, rows := sampleCoverage()
	got := CheckedBy(specs, props, rows)
	for _, req := range check.Requirements {
		if !strings.Contains(got, "### "+req.ID+" ("+string(req.Level)+")\n") {
			t.Errorf("no section for %s", req.ID)
		}
	}
	eof := between(got, "### TCP-EOF (MUST)", "###")
	// The specs under the requirement's own Describe come first, whatever
	// the order they ran in.
	want := `- Specs (4):
  - "after a half-close every reply byte arrives": write then half-close;
    half-close with nothing sent.
  - "gets EOF".
  - through a proxy, "the half-close follows": 1-byte segments.
- Fuzz properties: TCPScripts.
- Faulty servers written to break it:
  - ResetOnEOF: sets SetLinger(0) to avoid TIME_WAIT, so closing after the
    client's EOF sends a reset instead of a FIN.
- Faulty servers that break it as a consequence:
  - CrashOnTelnetSB: the server dies while the reply is due, so the stream
    ends without it, often with a reset, instead of an orderly EOF after the
    last reply byte.
- Other faulty servers the suites failed it on: none.
`
	if strings.TrimSpace(eof) != strings.TrimSpace(want) {
		t.Errorf("TCP-EOF section:\n%s\nwant:\n%s", eof, want)
	}
	rt := between(got, "### TCP-ROUNDTRIP (MUST)", "###")
	for _, want := range []string{"- Specs: none.\n", "- Fuzz properties: none.\n", "- Faulty servers written to break it: none.\n", "- Other faulty servers the suites failed it on: ResetOnEOF.\n"} {
		if !strings.Contains(rt, want) {
			t.Errorf("TCP-ROUNDTRIP section lacks %q:\n%s", want, rt)
		}
	}
}

// TestConsequencesExplainEveryBreak requires a reason for each
// requirement a mutant breaks after its first, and no reason for one it
// does not break.
func TestConsequencesExplainEveryBreak(t *testing.T) {
	want := map[string]bool{}
	for _, m := range allMutants() {
		for _, id := range m.Breaks[1:] {
			want[m.Name+" "+id] = true
			if consequences[m.Name][id] == "" {
				t.Errorf("%s breaks %s as a consequence of %s: say why in consequences", m.Name, id, m.Breaks[0])
			}
		}
	}
	for name, whys := range consequences {
		for id := range whys {
			if !want[name+" "+id] {
				t.Errorf("consequences explains %s breaking %s, which is not among the rest of its Breaks", name, id)
			}
		}
	}
}

func TestCoverageWithoutARunLeavesTheRunOut(t *testing.T) {
	specs, props, rows := sampleCoverage()
	for _, c := range Coverages(specs, props, rows, false) {
		if strings.Contains(c.Markdown(), "the suites failed it on") {
			t.Errorf("%s: a coverage without a run speaks of one:\n%s", c.Req.ID, c.Markdown())
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("  - ", "one two three four five six", 14)
	want := "  - one two\n    three four\n    five six\n"
	if got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	if got := wrap("- ", "a-word-longer-than-the-width", 10); got != "- a-word-longer-than-the-width\n" {
		t.Errorf("wrap of a long word = %q", got)
	}
}

// semanticsDoc is a SEMANTICS.md with every requirement's markers.
func semanticsDoc(inside string) string {
	var b strings.Builder
	b.WriteString("# semantics\n\n")
	for _, r := range check.Requirements {
		b.WriteString("## " + r.ID + "\n\n**Checked by**:\n\n" + beginMarker(r.ID) + "\n" + inside + endMarker(r.ID) + "\n\n")
	}
	return b.String()
}

func TestSpliceCheckedBy(t *testing.T) {
	specs, props, rows := sampleCoverage()
	covs := Coverages(specs, props, rows, false)
	got, err := spliceCheckedBy(semanticsDoc("- stale\n"), covs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "stale") {
		t.Errorf("the old lists are left:\n%s", got)
	}
	for _, c := range covs {
		if !strings.Contains(got, beginMarker(c.Req.ID)+"\n"+c.Markdown()+endMarker(c.Req.ID)+"\n") {
			t.Errorf("no generated list for %s", c.Req.ID)
		}
	}
	again, err := spliceCheckedBy(got, covs)
	if err != nil || again != got {
		t.Errorf("splicing twice changes the text (%v)", err)
	}

	for name, doc := range map[string]string{
		"missing end":   strings.Replace(semanticsDoc(""), endMarker("UDP-ONCE"), "", 1),
		"missing begin": strings.Replace(semanticsDoc(""), beginMarker("TCP-EOF"), "", 1),
		"twice":         semanticsDoc("") + beginMarker("TCP-EOF") + "\n" + endMarker("TCP-EOF") + "\n",
		"unknown ID":    semanticsDoc("") + beginMarker("TCP-NOPE") + "\n" + endMarker("TCP-NOPE") + "\n",
	} {
		if _, err := spliceCheckedBy(doc, covs); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestSemanticsCheckedBy requires SEMANTICS.md's "Checked by" sections to
// be those generated from the specs, the fuzz properties and the mutants;
// with -update (go generate ./lab/mutation) it rewrites them.
func TestSemanticsCheckedBy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the suites: not with -short")
	}
	root, err := target.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	have, want, err := generateSemantics(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if have == want {
		return
	}
	path := filepath.Join(root, semanticsFile)
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the \"Checked by\" sections of %s", path)
		return
	}
	line, h, w := firstDiff(have, want)
	t.Errorf("%s's \"Checked by\" sections are stale: run %s (from %s)\nfirst difference at line %d:\n have: %s\n want: %s",
		semanticsFile, regenerateCommand, root, line, h, w)
}

// firstDiff returns the first line (from 1) where a and b differ, and that
// line of each.
func firstDiff(a, b string) (int, string, string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; ; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
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
