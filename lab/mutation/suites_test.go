package mutation

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// fuzzOnly are the mutants whose fault no spec can see, by design, and
// why: a fuzz property must catch them instead.
var fuzzOnly = map[string]string{
	"CrashOnTelnetSB": "no spec sends IAC SB without IAC SE in one read",
	// The stateful mutants: each needs a sequence no spec makes.
	"CarryUTF8Lead":   "no spec ends a read in a lead byte 0xe0-0xef and starts the next with a letter",
	"ScanGuardReset":  "no spec half-closes a silent connection while two other silent ones are open: its connections that run three or more at once all write before they end",
	"DieOnThirdReset": "no spec ends three connections in a row in a reset: each spec's bystander or probe ends in order between them",
	"UDPSessionMute":  "no spec sends an empty datagram then one starting with 0x00 from one socket",
}

// TestSuitesCatchEveryMutant requires the suites, run against each mutant
// as a server command, to catch it: a spec that ended failed on a
// violation of a requirement the mutant breaks (see SpecCatches), and the
// requirement it was written to break reported failed. A harness error,
// a requirement in error, a spec that timed out or panicked, or a failure
// on a requirement it does not break are no catch.
func TestSuitesCatchEveryMutant(t *testing.T) {
	c := suites(t)
	for _, m := range allMutants() {
		t.Run(m.Name, func(t *testing.T) {
			r := c.mutantRuns[m.Name]
			if r.err != nil {
				t.Fatal(r.err)
			}
			for _, he := range r.retried {
				t.Logf("tried again after: %s", he)
			}
			res := r.res
			if res.Report.HarnessError != "" {
				t.Fatalf("harness error: %s (log: %s)", res.Report.HarnessError, res.Log)
			}
			primary := m.Breaks[0]
			for _, q := range res.Report.Requirements {
				if q.Status == report.Error {
					t.Errorf("%s: error, not judged: %s; %s (log: %s)", q.ID, q.Observed, q.Evidence, res.Log)
				}
			}
			found := SpecCatches(m.Breaks, res.Specs)
			for _, f := range found {
				if f.Counts {
					t.Logf("caught by %s: %s", f.By, f.Line)
				} else {
					t.Logf("not counted: %s: %s: %s", f.By, f.Why, f.Line)
				}
			}
			if why, ok := fuzzOnly[m.Name]; ok {
				t.Logf("left to the fuzzers: %s; the suites say %s is %s", why, primary, res.Status(primary))
				return
			}
			if !slices.ContainsFunc(found, func(f Finding) bool { return f.Counts }) {
				t.Errorf("no spec caught it: none ended failed on a violation of %s (log: %s)", strings.Join(m.Breaks, ", "), res.Log)
			}
			if got := res.Status(primary); got != report.Fail {
				t.Errorf("%s (%s) is reported %q, want %q (log: %s)", primary, m.Bug, got, report.Fail, res.Log)
			}
			if res.ExitCode == 0 {
				t.Errorf("the suites exited 0 against a faulty server")
			}
		})
	}
}

// TestSuitesPassTheReference requires the reference, run as a server
// command like any implementation and under the mutants' conditions (the
// same time scale, label filters and pool of concurrent runs), to pass
// every MUST requirement its filter selects: the control without which a
// check that fails every server would catch every mutant.
func TestSuitesPassTheReference(t *testing.T) {
	for _, r := range suites(t).controls {
		if r.impl == "reference" {
			t.Run(r.name(), func(t *testing.T) { passesEveryMust(t, r) })
		}
	}
}

// TestSuitesPassThePythonExample requires the Python example, a real
// implementation in another language, to pass every MUST requirement
// under the mutants' conditions too.
func TestSuitesPassThePythonExample(t *testing.T) {
	c := suites(t)
	if c.pythonSkipped != "" {
		t.Skipf("the Python example is not checked: %s", c.pythonSkipped)
	}
	for _, r := range c.controls {
		if r.impl == "python" {
			t.Run(r.name(), func(t *testing.T) { passesEveryMust(t, r) })
		}
	}
}

// passesEveryMust requires control run r to have passed every MUST
// requirement its label filter selects, and skipped the others.
func passesEveryMust(t *testing.T, r control) {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	res := r.res
	for _, q := range res.Report.Requirements {
		req, _ := check.Lookup(q.ID)
		switch {
		case !selects(r.filter, q.ID):
			if q.Status != report.Skip {
				t.Errorf("%s: %s, want skip: the filter %q leaves it out", q.ID, q.Status, r.filter)
			}
		case req.Level == check.Must && q.Status != report.Pass:
			t.Errorf("%s: %s: %s; expected %s; %s", q.ID, q.Status, q.Observed, q.Expected, q.Evidence)
		}
	}
	if len(res.Report.Requirements) != len(check.Requirements) {
		t.Errorf("the report has %d requirements, want %d", len(res.Report.Requirements), len(check.Requirements))
	}
	if res.ExitCode != 0 {
		t.Errorf("the suites exited %d (log: %s)", res.ExitCode, res.Log)
	}
}

// selects reports whether the label filter of a control (a protocol, or
// "" for all) selects requirement id.
func selects(filter, id string) bool {
	return filter == "" || strings.HasPrefix(id, strings.ToUpper(filter)+"-")
}

// rowsOf is the mutation table of the mutants ms: what the suites' runs
// against each found (runs, by name) and what each fuzz property found
// (fz: mutant -> property -> result), each finding judged as a catch or
// not (SpecCatches, PropertyCatch). A mutant is caught when one counts.
func rowsOf(ms []*mutants.Mutant, runs map[string]suitesRun, fz map[string]map[string]*fuzzResult) []Row {
	var rows []Row
	for _, m := range ms {
		row := Row{Mutant: m.Name, Breaks: m.Breaks}
		if r := fz[m.Name]["start"]; r != nil {
			row.Fuzz = append(row.Fuzz, Finding{By: "start", Line: r.Failure(), Why: "the mutant could not be started"})
		}
		for _, p := range fuzz.Properties {
			r := fz[m.Name][p.Name]
			if r == nil {
				continue
			}
			for _, miss := range r.Missed {
				if f, ok := PropertyCatch(m.Breaks, p.Name, miss.Case, miss.Caught); ok {
					row.Fuzz = append(row.Fuzz, f)
				}
			}
			if f, ok := PropertyCatch(m.Breaks, p.Name, r.Case, r.Caught); ok {
				row.Fuzz = append(row.Fuzz, f)
			}
		}
		slices.SortStableFunc(row.Fuzz, func(a, b Finding) int { return boolRank(a.Counts) - boolRank(b.Counts) })
		if !slices.ContainsFunc(row.Fuzz, func(f Finding) bool { return f.Counts }) {
			row.FuzzNote = outOfReach[m.Name]
		}
		switch r := runs[m.Name]; {
		case r.err != nil:
			row.Specs = append(row.Specs, Finding{By: "suites", Line: firstLine(r.err.Error()), Why: "the suites could not run"})
		case r.res != nil:
			row.SuiteTime = r.res.Elapsed
			for _, q := range r.res.Report.Requirements {
				if q.Status == report.Fail {
					row.Failing = append(row.Failing, q.ID)
				}
			}
			row.Specs = SpecCatches(m.Breaks, r.res.Specs)
			if he := r.res.Report.HarnessError; he != "" {
				row.Specs = append(row.Specs, Finding{By: "suites", Line: firstLine(he), Why: "a harness error: no requirement judged"})
			}
		}
		if !slices.ContainsFunc(row.Specs, func(f Finding) bool { return f.Counts }) {
			row.SpecsNote = fuzzOnly[m.Name]
		}
		row.Caught = len(row.Counted()) > 0
		rows = append(rows, row)
	}
	return rows
}

// boolRank orders true first.
func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

// uncaught returns what fails the mutation score: each mutant no finding
// caught, and a table that does not hold every mutant.
func uncaught(rows []Row, n int) []string {
	var out []string
	for _, r := range rows {
		if r.Caught {
			continue
		}
		msg := fmt.Sprintf("%s (breaks %s) was caught neither by the suites nor by a fuzz property", r.Mutant, strings.Join(r.Breaks, ", "))
		if o := r.NotCounted(); len(o) > 0 {
			msg += fmt.Sprintf("; %d failures did not count, the first: %s: %s", len(o), o[0].By, o[0].Why)
		}
		out = append(out, msg)
	}
	if len(rows) != n || n == 0 {
		out = append(out, fmt.Sprintf("%d rows for %d mutants", len(rows), n))
	}
	return out
}

// verdicts says how the implementations that must pass fared under the
// mutants' conditions.
func (c *campaign) verdicts() string {
	var b strings.Builder
	if c.pythonSkipped != "" {
		fmt.Fprintf(&b, "python example: skipped: %s\n", c.pythonSkipped)
	}
	for _, r := range c.controls {
		if r.err != nil {
			fmt.Fprintf(&b, "%s: not checked: %v\n", r.name(), r.err)
			continue
		}
		retried := ""
		if n := len(r.retried); n > 0 {
			retried = fmt.Sprintf(" (started on try %d: %s)", n+1, r.retried[0])
		}
		fmt.Fprintf(&b, "%s: %s%s\n", r.name(), r.res.Report.Summary(), retried)
	}
	for _, p := range fuzz.Properties {
		if r := c.fuzzRef[p.Name]; r != nil {
			v := "passed"
			if r.Failed() {
				v = "FAILED: " + r.Failure()
			}
			fmt.Fprintf(&b, "reference, fuzz %s, under the mutants' load: %s\n", p.Name, v)
		}
	}
	return b.String()
}

// referenceSpecs are the specs of the reference's control runs, each once:
// together, every spec of the suites.
func (c *campaign) referenceSpecs() []suiterun.Spec {
	var specs []suiterun.Spec
	seen := map[string]bool{}
	for _, r := range c.controls {
		if r.impl != "reference" || r.res == nil {
			continue
		}
		for _, s := range r.res.Specs {
			if !seen[s.Text] {
				seen[s.Text] = true
				specs = append(specs, s)
			}
		}
	}
	return specs
}

// TestFewExtraFailures requires the suites to fail few requirements beyond
// those each mutant breaks: in all, over every mutant, at most a quarter
// of the number of mutants (ExtraAllowed), which the table's total line
// states. A fault reported
// under rules it does not break sends a server's author after bugs that
// are not there. Each mutant's extras, and its suite time (a figure, not
// judged), are in the mutation table.
func TestFewExtraFailures(t *testing.T) {
	c := suites(t)
	rows := rowsOf(allMutants(), c.mutantRuns, nil)
	total, goal := ExtraFailures(rows), ExtraAllowed(len(rows))
	for _, r := range rows {
		if extra := r.Extra(); len(extra) > 0 {
			t.Logf("%s (breaks %s): also failed %s", r.Mutant, strings.Join(r.Breaks, ", "), strings.Join(extra, ", "))
		}
	}
	t.Logf("extra failures: %d over %d mutants; the goal is at most %d, a quarter of them", total, len(rows), goal)
	if total > goal {
		t.Errorf("the suites failed %d requirements beyond those the mutants break, over %d mutants: more than %d", total, len(rows), goal)
	}
}

// table is the rendered mutation table, for TestMain to print; checkedBy
// says what checks each requirement, for TestMain to write.
var table, checkedBy string

// TestMutationScore requires every mutant to be caught, by the suites or
// the fuzzers, for a reason that counts: a score of 100%.
func TestMutationScore(t *testing.T) {
	c := suites(t)
	fuzzing(t)
	ms := allMutants()
	rows := rowsOf(ms, c.mutantRuns, c.fuzz)
	table = Table(rows) + "\n" + c.verdicts()
	if specs := c.referenceSpecs(); len(specs) > 0 {
		checkedBy = CheckedBy(specs, fuzz.Properties, rows)
	}
	for _, msg := range uncaught(rows, len(ms)) {
		t.Error(msg)
	}
	// Every MUST requirement has a mutant written to break it.
	for _, req := range check.Requirements {
		if req.Level != check.Must {
			continue
		}
		if !slices.ContainsFunc(rows, func(r Row) bool { return r.Breaks[0] == req.ID }) {
			t.Errorf("no mutant is written to break %s", req.ID)
		}
	}
}
