package mutation

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// TestExpectedFailuresExitStatus runs the suites' binary as a CI does,
// against a server that breaks TCP-EOF (the mutant ResetOnEOF) and against
// the reference, with TCP-EOF declared an expected failure, and checks the
// exit statuses of CONTRACT.md: 1 when the mutant fails undeclared, 0 when
// its only failure is expected (the row reads xfail, the JUnit case is
// skipped), and 1 with the xpass line when the reference passes it.
func TestExpectedFailuresExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the suites' binary: run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := target.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var suitesBin, mutantd, upperd string
	var errs [3]error
	var wg sync.WaitGroup
	wg.Go(func() { suitesBin, errs[0] = suiterun.BuildSuites(ctx, root, dir) })
	wg.Go(func() { mutantd, errs[1] = suiterun.BuildCommand(ctx, root, dir, "./lab/cmd/mutantd") })
	wg.Go(func() { upperd, errs[2] = suiterun.BuildCommand(ctx, root, dir, "./cmd/upperd") })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	xfailFile := filepath.Join(dir, "xfail.txt")
	if err := os.WriteFile(xfailFile, []byte("# known problems\n\nTCP-EOF  closes with a reset (SO_LINGER 0)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mutant := fmt.Sprintf("%s -mutant ResetOnEOF -tcp {tcp} -udp {udp}", mutantd)
	reference := fmt.Sprintf("%s -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}", upperd)
	for _, tc := range []struct {
		name, cmd, expect string
		code              int
		status            report.Status
		says              string
	}{
		{"mutant", mutant, "", 1, report.Fail, "upcheck: 0 passed, 1 failed (TCP-EOF), 17 skipped"},
		{"mutant expected to fail", mutant, "@" + xfailFile, 0, report.XFail, "upcheck: 0 passed, 0 failed, 1 failed as expected (TCP-EOF), 17 skipped"},
		{"reference expected to fail", reference, "TCP-EOF", 1, report.XPass, "TCP-EOF passes now: remove it from the expected failures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			junit := filepath.Join(t.TempDir(), "junit.xml")
			res, err := suiterun.Run(ctx, suiterun.Options{
				Suites:      suitesBin,
				Settings:    target.Settings{ServerCmd: tc.cmd, ExpectFail: tc.expect, JUnit: junit},
				Report:      filepath.Join(t.TempDir(), "r.json"),
				Dir:         root,
				LabelFilter: "TCP-EOF",
			})
			if err != nil {
				t.Fatal(err)
			}
			log, _ := os.ReadFile(res.Log)
			if res.ExitCode != tc.code {
				t.Errorf("exit %d, want %d:\n%s", res.ExitCode, tc.code, log)
			}
			if got := res.Report.ExitStatus(); got != tc.code {
				t.Errorf("the report's ExitStatus() = %d, want %d", got, tc.code)
			}
			if got := res.Status("TCP-EOF"); got != tc.status {
				t.Errorf("TCP-EOF = %s, want %s", got, tc.status)
			}
			if !strings.Contains(string(log), tc.says) {
				t.Errorf("the output does not say %q:\n%s", tc.says, log)
			}
			b, err := os.ReadFile(junit)
			if err != nil {
				t.Fatalf("no JUnit report: %v", err)
			}
			var x struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testsuite>testcase"`
			}
			if err := xml.Unmarshal(b, &x); err != nil {
				t.Fatal(err)
			}
			for _, c := range x.Cases {
				if c.Name != "TCP-EOF" {
					continue
				}
				if failed := c.Failure != nil; failed != (tc.code == 1) {
					t.Errorf("JUnit TCP-EOF has a failure: %v, want %v", failed, tc.code == 1)
				}
				if tc.status == report.XFail && c.Skipped == nil {
					t.Error("JUnit TCP-EOF: an expected failure is skipped")
				}
			}
		})
	}
}
