package report

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// contractPath is CONTRACT.md, at the module root.
var contractPath = filepath.Join("..", "..", "CONTRACT.md")

// contractTable returns the rows of the first table after the heading line
// heading in the Markdown md, each row as its cells with backticks and
// spaces trimmed, without the header and separator rows.
func contractTable(t *testing.T, md, heading string) [][]string {
	t.Helper()
	_, after, ok := strings.Cut(md, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("CONTRACT.md has no heading %q", heading)
	}
	var rows [][]string
	inTable := false
	for line := range strings.SplitSeq(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			if strings.HasPrefix(line, "#") {
				break
			}
			continue
		}
		inTable = true
		var cells []string
		for c := range strings.SplitSeq(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`"))
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("CONTRACT.md has no table under %q", heading)
	}
	return rows[2:]
}

func readContract(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(contractPath)
	if err != nil {
		t.Fatalf("the contract must be in the repository: %v", err)
	}
	return string(b)
}

// TestContractRequirements requires CONTRACT.md's table of requirement IDs
// to list exactly check.Requirements, in their order, with their levels.
func TestContractRequirements(t *testing.T) {
	var doc []string
	for _, row := range contractTable(t, readContract(t), "## Requirement IDs") {
		doc = append(doc, row[0]+" "+row[1])
	}
	var code []string
	for _, r := range check.Requirements {
		code = append(code, r.ID+" "+string(r.Level))
	}
	diff(t, "requirement (ID and level)", "check.Requirements", code, doc, true)
}

// usageEnv finds the variable a flag's usage names: "(env UPCHECK_TCP)".
var usageEnv = regexp.MustCompile(`\(env (UPCHECK_[A-Z_]+)\)`)

// TestContractSettings requires CONTRACT.md's table of settings to list
// exactly the settings of package target: each variable with its flag.
func TestContractSettings(t *testing.T) {
	var doc []string
	for _, row := range contractTable(t, readContract(t), "## Settings") {
		doc = append(doc, row[0]+" "+row[1])
	}
	var s target.Settings
	fs := flag.NewFlagSet("contract", flag.ContinueOnError)
	s.RegisterFlags(fs)
	var code, envs []string
	fs.VisitAll(func(f *flag.Flag) {
		m := usageEnv.FindStringSubmatch(f.Usage)
		if m == nil {
			t.Errorf("the usage of -%s names no variable (env UPCHECK_...): %q", f.Name, f.Usage)
			return
		}
		code = append(code, m[1]+" -"+f.Name)
		envs = append(envs, m[1])
	})
	diff(t, "setting (variable and flag)", "target.Settings.RegisterFlags", code, doc, false)
	want := append(slices.Clone(target.TargetEnv), target.RunEnv...)
	slices.Sort(want)
	slices.Sort(envs)
	if !slices.Equal(envs, want) {
		t.Errorf("the flags name the variables %v; package target defines %v", envs, want)
	}
}

// TestContractStatuses requires CONTRACT.md's table of statuses to list
// exactly the report's statuses.
func TestContractStatuses(t *testing.T) {
	var doc []string
	for _, row := range contractTable(t, readContract(t), "Texts are at most 2000 bytes, cut with `…`. Statuses:") {
		doc = append(doc, row[0])
	}
	var code []string
	for _, s := range Statuses {
		code = append(code, string(s))
	}
	diff(t, "status", "package report", code, doc, true)
}

// TestContractJSON requires CONTRACT.md's tables of the JSON report to
// list exactly the fields of Report and Requirement.
func TestContractJSON(t *testing.T) {
	md := readContract(t)
	for _, c := range []struct {
		heading string
		typ     reflect.Type
	}{
		{"One object:", reflect.TypeFor[Report]()},
		{"Each requirement:", reflect.TypeFor[Requirement]()},
	} {
		var doc []string
		for _, row := range contractTable(t, md, c.heading) {
			doc = append(doc, row[0])
		}
		var code []string
		for f := range c.typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				code = append(code, name)
			}
		}
		diff(t, "field of "+c.typ.Name(), "report."+c.typ.Name(), code, doc, true)
	}
}

// diff reports each name of the code missing from the contract and each
// name of the contract missing from the code, and, when ordered, a
// different order.
func diff(t *testing.T, what, where string, code, doc []string, ordered bool) {
	t.Helper()
	for _, c := range code {
		if !slices.Contains(doc, c) {
			t.Errorf("CONTRACT.md lacks the %s %q of %s", what, c, where)
		}
	}
	for _, d := range doc {
		if !slices.Contains(code, d) {
			t.Errorf("CONTRACT.md lists the %s %q, which %s does not have", what, d, where)
		}
	}
	if ordered && !t.Failed() && !slices.Equal(code, doc) {
		t.Errorf("CONTRACT.md lists the %ss in the order %q; %s has %q", what, doc, where, code)
	}
}

// TestContractExitStatuses requires CONTRACT.md's table of a run's exit
// statuses to list exactly those ExitStatus returns.
func TestContractExitStatuses(t *testing.T) {
	var doc []string
	for _, row := range contractTable(t, readContract(t), "A run's verdict, as the report gives it (`report.Report.ExitStatus`):") {
		doc = append(doc, row[0])
	}
	code := []string{strconv.Itoa(ExitPass), strconv.Itoa(ExitFail), strconv.Itoa(ExitHarness)}
	diff(t, "exit status", "package report", code, doc, true)
}
