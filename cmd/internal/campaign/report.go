package campaign

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
)

// summary prints what the campaign came to and returns its exit status: 1
// when a run found a failure, 2 when none did but a run was broken or the
// campaign was interrupted, 0 otherwise.
func summary(w io.Writer, c *config, results []result, unconfirmed []string, took time.Duration, interrupted bool) int {
	fmt.Fprintf(w, "\n=== campaign summary\n")
	fmt.Fprintf(w, "target:    %s\n", c.describe)
	fmt.Fprintf(w, "rapid:     seed %d, %s (repeat with RAPID_SEED=%d)\n", c.seed, c.checksText(), c.seed)
	fmt.Fprintf(w, "fuzztime:  %s\n", c.fuzzTimeText())
	width := 0
	for _, r := range results {
		width = max(width, len(r.name))
	}
	var nFailed, nBroken, nSkipped, nCut int
	for _, r := range results {
		took := r.took.Round(100 * time.Millisecond).String()
		if r.status == skipped {
			took = "-"
		}
		fmt.Fprintf(w, "  %-5s  %-*s  %s\n", r.status, width, r.name, took)
		if r.note != "" {
			fmt.Fprintln(w, indent(r.note, "         "))
		}
		switch r.status {
		case failed:
			nFailed++
		case broken:
			nBroken++
		case skipped:
			nSkipped++
		case cut:
			nCut++
		}
	}
	if len(results) == 0 {
		fmt.Fprintf(w, "  nothing ran: no fuzz target or property matched\n")
	}
	fmt.Fprintf(w, "total %s: %d runs, %d found a failure, %d could not run, %d left out", took.Round(time.Second), len(results)-nSkipped, nFailed, nBroken, nSkipped)
	if nCut > 0 {
		fmt.Fprintf(w, ", %d stopped at -budget", nCut)
	}
	fmt.Fprintln(w)
	if interrupted {
		fmt.Fprintf(w, "interrupted\n")
	}
	for _, r := range results {
		WriteExplored(w, r.explored)
	}

	if nFailed > 0 {
		fmt.Fprintf(w, "\n=== failures (they stay for regression until removed)\n")
		for _, r := range results {
			for _, f := range r.findings {
				fmt.Fprintf(w, "%s: %s\n", f.name, f.headline)
				if f.script != "" {
					fmt.Fprintf(w, "  case:\n%s\n", indent(f.script, "    "))
				}
				for _, p := range f.stays {
					fmt.Fprintf(w, "  stays in: %s\n", p)
				}
				if f.rerun != "" {
					fmt.Fprintf(w, "  re-run:   %s\n", f.rerun)
				}
				if f.replay != "" {
					fmt.Fprintf(w, "  replay:   %s\n", f.replay)
				}
			}
		}
	}
	if len(unconfirmed) > 0 {
		fmt.Fprintf(w, "\n=== unconfirmed (failed once, not again; not counted)\n")
		for _, p := range unconfirmed {
			fmt.Fprintf(w, "  %s\n    replay: %s\n", p, fuzzspec.ReplayCommand(p))
		}
	}
	switch {
	case nFailed > 0:
		return 1
	case nBroken > 0 || interrupted:
		return 2
	}
	return 0
}

// indent is for multi-line notes.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
