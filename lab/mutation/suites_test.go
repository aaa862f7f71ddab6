package mutation

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/fuzz"
	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
)

// fuzzOnly are the mutants whose fault no spec can see, by design, and
// why: a fuzz property must catch them instead.
var fuzzOnly = map[string]string{
	"CrashOnTelnetSB": "no spec sends IAC SB without IAC SE in one read",
}

// TestSuitesCatchEveryMutant requires the suites, run against each mutant
// as a server command, to report the requirement it was written to break
// failed: a verdict on the server, not a harness error.
func TestSuitesCatchEveryMutant(t *testing.T) {
	c := suites(t)
	for _, m := range allMutants() {
		t.Run(m.Name, func(t *testing.T) {
			r := c.mutantRuns[m.Name]
			if r.err != nil {
				t.Fatal(r.err)
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
			if why, ok := fuzzOnly[m.Name]; ok {
				t.Logf("left to the fuzzers: %s; the suites say %s is %s", why, primary, res.Status(primary))
				return
			}
			if got := res.Status(primary); got != report.Fail {
				t.Errorf("%s (%s) is reported %q, want %q (log: %s)", primary, m.Bug, got, report.Fail, res.Log)
			}
			if len(res.FailedSpecs(primary)) == 0 {
				t.Errorf("no failed spec is labelled %s", primary)
			}
			if res.ExitCode == 0 {
				t.Errorf("the suites exited 0 against a faulty server")
			}
		})
	}
}

// TestSuitesPassTheReference requires the reference, run as a server
// command like any implementation, to pass every MUST requirement.
func TestSuitesPassTheReference(t *testing.T) {
	passesEveryMust(t, suites(t).reference)
}

// TestSuitesPassThePythonExample requires the Python example, a real
// implementation in another language, to pass every MUST requirement.
func TestSuitesPassThePythonExample(t *testing.T) {
	c := suites(t)
	if c.pythonSkipped != "" {
		t.Skipf("the Python example is not checked: %s", c.pythonSkipped)
	}
	passesEveryMust(t, c.python)
}

// passesEveryMust requires run r to have passed every MUST requirement.
func passesEveryMust(t *testing.T, r suitesRun) {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	res := r.res
	for _, q := range res.Report.Requirements {
		req, _ := check.Lookup(q.ID)
		if req.Level == check.Must && q.Status != report.Pass {
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

// rows is the mutation table of the campaign.
func (c *campaign) rows() []Row {
	var rows []Row
	for _, m := range allMutants() {
		row := Row{Mutant: m.Name, Breaks: m.Breaks, Fuzz: c.caughtBy(m.Name)}
		if len(row.Fuzz) == 0 {
			row.FuzzNote = outOfReach[m.Name]
		}
		if r := c.mutantRuns[m.Name]; r.res != nil {
			for _, q := range r.res.Report.Requirements {
				if q.Status == report.Fail {
					row.Failing = append(row.Failing, q.ID)
				}
			}
			row.Specs = specNamesOf(r.res, m.Breaks[0])
			if len(row.Specs) == 0 {
				row.SpecsNote = fuzzOnly[m.Name]
			}
			row.Caught = r.res.Status(m.Breaks[0]) == report.Fail
		}
		row.Caught = row.Caught || len(row.Fuzz) > 0
		rows = append(rows, row)
	}
	return rows
}

// specNamesOf lists the failed specs, those labelled primary first.
func specNamesOf(res *suiterun.Result, primary string) []string {
	var first, rest []string
	for _, s := range res.FailedSpecs("") {
		if s.Has(primary) {
			first = append(first, s.Text)
		} else {
			rest = append(rest, s.Text)
		}
	}
	return append(first, rest...)
}

// verdicts says how the implementations that must pass fared.
func (c *campaign) verdicts() string {
	line := func(name string, r suitesRun, skipped string) string {
		switch {
		case skipped != "":
			return fmt.Sprintf("%s: skipped: %s\n", name, skipped)
		case r.err != nil:
			return fmt.Sprintf("%s: not checked: %v\n", name, r.err)
		}
		return fmt.Sprintf("%s: %s\n", name, r.res.Report.Summary())
	}
	return line("reference", c.reference, "") + line("python example", c.python, c.pythonSkipped)
}

// table is the rendered mutation table, for TestMain to print; checkedBy
// says what checks each requirement, for TestMain to write.
var table, checkedBy string

// TestMutationScore requires every mutant to be caught, by the suites or
// the fuzzers: a score of 100%.
func TestMutationScore(t *testing.T) {
	c := suites(t)
	fuzzing(t)
	rows := c.rows()
	table = Table(rows) + "\n" + c.verdicts()
	if r := c.reference; r.res != nil {
		checkedBy = CheckedBy(r.res.Specs, fuzz.Properties, rows)
	}
	for _, r := range rows {
		if !r.Caught {
			t.Errorf("%s (breaks %s) was caught neither by the suites nor by a fuzz property", r.Mutant, strings.Join(r.Breaks, ", "))
		}
	}
	if n := len(allMutants()); len(rows) != n || n == 0 {
		t.Errorf("%d rows for %d mutants", len(rows), n)
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
