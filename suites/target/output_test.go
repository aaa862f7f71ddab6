package target

import (
	"fmt"
	"strings"
	"testing"
)

func TestLineRingKeepsTheLastLines(t *testing.T) {
	r := newLineRing(3)
	if got := r.since(0, 0); len(got) != 0 {
		t.Fatalf("empty ring: %q", got)
	}
	for i := range 5 {
		r.add(fmt.Sprint(i))
	}
	for _, tc := range []struct {
		from uint64
		max  int
		want string
	}{
		{0, 0, "2 3 4"},
		{0, 2, "3 4"},
		{3, 0, "3 4"},
		{4, 10, "4"},
		{5, 0, ""},
	} {
		if got := strings.Join(r.since(tc.from, tc.max), " "); got != tc.want {
			t.Errorf("since(%d, %d) = %q, want %q", tc.from, tc.max, got, tc.want)
		}
	}
	if r.seq() != 5 {
		t.Errorf("seq() = %d, want 5", r.seq())
	}
}

func TestCopyLinesBoundsAndCleansLines(t *testing.T) {
	long := strings.Repeat("x", 3*maxLineLen)
	in := "one\r\ntwo\n\n" + long + "\n" + "bad \xff byte\n" + "no newline"
	r := newLineRing(OutputKeep)
	r.copyLines(strings.NewReader(in), discardLogger, 1)
	got := r.since(0, 0)
	want := []string{"one", "two", "", strings.Repeat("x", maxLineLen) + "…", "bad \uFFFD byte", "no newline"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %.40q (len %d), want %.40q (len %d)", i, got[i], len(got[i]), want[i], len(want[i]))
		}
	}
}

func TestCopyLinesKeepsOnlyTheLast(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	r := newLineRing(OutputKeep)
	r.copyLines(strings.NewReader(b.String()), discardLogger, 1)
	got := r.since(0, 0)
	if len(got) != OutputKeep || got[0] != "line 800" || got[len(got)-1] != "line 999" {
		t.Errorf("kept %d lines, %q .. %q", len(got), got[0], got[len(got)-1])
	}
}
