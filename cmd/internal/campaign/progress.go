package campaign

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

// While the properties run, each logs its progress every few seconds
// (fuzzspec.Explored, as "progress: {...}"); the campaign prints each as
// one line to the terminal's standard error, so that a user sees a long
// run move, and keeps the last "explored: {...}" of each property for
// its summary.

// ProgressLine is the line printed for x, a property's progress, at now;
// end, if not zero, is when the campaign's budget ends the run:
//
//	campaign: TCPScripts: 120 of 1000 cases, 4.1/s, no failure, 3m10s left of -budget
//
// Without a budget, the time left is the rest of the cases at this rate.
// With one, the total is left out when the budget ends long before it at
// this rate (a campaign that runs its properties by time asks for more
// cases than fit).
func ProgressLine(x fuzzspec.Explored, now, end time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "campaign: %s: ", x.Property)
	if x.Checks > 0 && (end.IsZero() || x.Rate() <= 0 || float64(x.Checks-x.Cases)/x.Rate() < 2*end.Sub(now).Seconds()) {
		fmt.Fprintf(&b, "%d of %d cases", x.Cases, x.Checks)
	} else {
		b.WriteString(cases(x.Cases))
	}
	fmt.Fprintf(&b, ", %s/s, ", rate(x.Rate()))
	switch x.Failures {
	case 0:
		b.WriteString("no failure")
	case 1:
		b.WriteString("1 failure (shrinking it)")
	default:
		fmt.Fprintf(&b, "%d failures", x.Failures)
	}
	switch {
	case !end.IsZero():
		fmt.Fprintf(&b, ", %s left of -budget", roundLeft(end.Sub(now)))
	case x.Failures == 0 && x.Checks > x.Cases && x.Rate() > 0:
		left := time.Duration(float64(x.Checks-x.Cases) / x.Rate() * float64(time.Second))
		fmt.Fprintf(&b, ", about %s left at this rate", roundLeft(left))
	}
	return b.String()
}

// rate shows cases per second with two significant digits or so: 0.35,
// 4.1, 17, 1234.
func rate(r float64) string {
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0f", r)
	case r >= 1:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// cases says "1 case", "2 cases".
func cases(n int) string {
	if n == 1 {
		return "1 case"
	}
	return fmt.Sprintf("%d cases", n)
}

// roundLeft rounds a time left to the second (never below 0).
func roundLeft(d time.Duration) time.Duration { return max(d, 0).Round(time.Second) }

// progress prints the progress lines of a properties run to w as they
// come; end is as for progressLine, now the clock.
type progress struct {
	w   io.Writer
	end time.Time
	now func() time.Time
}

// line reads one output line of the test named test: a progress line is
// printed.
func (p progress) line(test, out string) {
	if p.w == nil || !strings.HasPrefix(test, "TestProperties/") {
		return
	}
	text, ok := logged(out)
	if !ok {
		return
	}
	if x, prefix, ok := fuzzspec.ParseExplored(text); ok && prefix == fuzzspec.ProgressPrefix {
		fmt.Fprintln(p.w, ProgressLine(x, p.now(), p.end))
	}
}

// explored returns what each property of run reported it covered, in the
// order they ran: the last "explored: {...}" line of each.
func explored(run *testRun) []fuzzspec.Explored {
	var xs []fuzzspec.Explored
	for _, name := range run.order {
		if !strings.HasPrefix(name, "TestProperties/") {
			continue
		}
		var last *fuzzspec.Explored
		for _, l := range strings.Split(run.output(name), "\n") {
			if text, ok := logged(l); ok {
				if x, prefix, ok := fuzzspec.ParseExplored(text); ok && prefix == fuzzspec.ExploredPrefix {
					last = &x
				}
			}
		}
		if last != nil {
			xs = append(xs, *last)
		}
	}
	return xs
}

// WriteExplored prints what the properties covered: per property the
// cases, their rate and the failures, then each situation with the cases
// that reached it, marking those never reached.
func WriteExplored(w io.Writer, xs []fuzzspec.Explored) {
	if len(xs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n=== explored (cases that reached each situation)\n")
	for _, x := range xs {
		fmt.Fprintf(w, "%s: %s in %s (%s/s)", x.Property, cases(x.Cases), (time.Duration(x.Seconds * float64(time.Second))).Round(100*time.Millisecond), rate(x.Rate()))
		switch {
		case x.Failures > 0:
			fmt.Fprintf(w, ", stopped at a failure")
		case x.Cases < x.Checks:
			fmt.Fprintf(w, ", stopped when its time was up")
		}
		fmt.Fprintln(w)
		width := 1
		for _, s := range x.Situations {
			width = max(width, len(fmt.Sprint(s.Cases)))
		}
		for _, s := range x.Situations {
			fmt.Fprintf(w, "  %*d  %s", width, s.Cases, s.Name)
			if s.Cases == 0 {
				fmt.Fprintf(w, "  (never reached)")
			}
			fmt.Fprintln(w)
		}
	}
}

// lastCase returns the last failing case logged in out (after
// fuzzspec.CasePrefix), as its lines, or "".
func lastCase(out string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		text, ok := logged(lines[i])
		if !ok || text+"\n" != fuzzspec.CasePrefix {
			continue
		}
		// go test indents the lines a log line goes on with four spaces
		// more than the line it starts on.
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " \t")) + 4
		var steps []string
		for _, l := range lines[i+1:] {
			if len(l) <= indent || strings.TrimLeft(l[:indent], " \t") != "" {
				break
			}
			steps = append(steps, l[indent:])
		}
		return strings.Join(steps, "\n")
	}
	return ""
}
