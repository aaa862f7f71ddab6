package report

import (
	"testing"
)

func TestDiff(t *testing.T) {
	mk := func(st ...Status) *Report {
		ids := []string{"TCP-EOF", "TCP-BYTES", "UDP-ONCE", "UDP-SIZE", "UDP-SOURCE", "TCP-CHURN"}
		r := &Report{}
		for i, s := range st {
			r.Requirements = append(r.Requirements, Requirement{ID: ids[i], Status: s, Observed: "obs " + ids[i]})
		}
		return r
	}
	old := mk(Pass, Fail, XFail, Pass, Pass, Skip)
	cur := mk(Fail, Pass, Fail, XPass, Error)
	got := Diff(old, cur)
	want := []string{
		"regression: TCP-EOF pass -> fail: obs TCP-EOF",
		"fix: TCP-BYTES fail -> pass",
		"changed: UDP-SOURCE pass -> error",
		"changed: TCP-CHURN skip -> (absent)",
	}
	if len(got) != len(want) {
		t.Fatalf("Diff = %v, want %q", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("change %d = %q, want %q", i, got[i], want[i])
		}
	}
	if !Regressions(got) || Regressions(got[1:]) {
		t.Error("Regressions wrong")
	}
	if got := DiffText(got); got != want[0]+"\n"+want[1]+"\n"+want[2]+"\n"+want[3]+"\n1 regressions, 1 fixes, 2 other changes\n" {
		t.Errorf("DiffText = %q", got)
	}
	if got := Diff(cur, old); len(got) != 4 || got[0].Kind != Fix || got[3].String() != "changed: TCP-CHURN (absent) -> skip" {
		t.Errorf("reverse Diff = %v", got)
	}
	if got := DiffText(Diff(old, old)); got != "no change\n" {
		t.Errorf("DiffText of no change = %q", got)
	}
}
