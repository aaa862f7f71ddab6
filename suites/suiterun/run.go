package suiterun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/upcheck/upcheck/suites/report"
	"github.com/upcheck/upcheck/suites/target"
)

// Options say how to run the suites once.
type Options struct {
	// Suites is the suites' test binary (see BuildSuites).
	Suites string
	// Settings name the target and how it is judged, as the suites'
	// settings do (typically a ServerCmd, whose {tcp}, {udp} and {host}
	// the suites fill in); their Report is the Report below. They reach
	// the suites as flags, whatever the caller's environment says.
	Settings target.Settings
	// Report is the path of the conformance report's JSON. The Markdown
	// twin goes beside it (.md), as do ginkgo's JSON report (.ginkgo.json)
	// and the run's output (.log).
	Report string
	// Dir is where the suites run, and so where the server command runs:
	// the module root (see target.ModuleRoot).
	Dir string
	// LabelFilter, if set, selects the specs (ginkgo's --label-filter),
	// such as "tcp" or "TCP-EOF".
	LabelFilter string
	// Seed, if not 0, is ginkgo's random seed, which orders the specs and
	// seeds their random inputs: the same seed runs the same checks.
	Seed int64
	// Grace is how long the suites get to stop their server and write
	// their reports when ctx is done, before they are killed; 0 means
	// 20 seconds.
	Grace time.Duration
}

// Paths of the files a run writes, derived from Options.Report.
func (o Options) paths() (js, md, ginkgo, log string) {
	js, md = report.Paths(o.Report)
	base := strings.TrimSuffix(js, ".json")
	return js, md, base + ".ginkgo.json", base + ".log"
}

// Result is what one run of the suites found.
type Result struct {
	// Report is the conformance report.
	Report report.Report
	// Specs are the specs selected to run (those the label filter left
	// out are not listed), in the order they ran.
	Specs []Spec
	// ExitCode is the suites' exit status: 0 when every MUST requirement
	// passed.
	ExitCode int
	// Elapsed is how long the run took.
	Elapsed time.Duration
	// JSON, Markdown, Ginkgo and Log are the paths of the files it wrote.
	JSON, Markdown, Ginkgo, Log string
}

// Spec is one spec of a run.
type Spec struct {
	// Text is the spec's full text: its containers' and its own.
	Text string
	// Containers are the texts of its containers, outermost first (the
	// first is its requirement's Describe); Leaf is its own text.
	Containers []string
	Leaf       string
	// Labels are its labels: its requirement ID and protocol.
	Labels []string
	// State is ginkgo's verdict: "passed", "failed", "skipped",
	// "timedout", "aborted", "panicked" or "interrupted".
	State string
	// Failure is the first line of its failure message, if any.
	Failure string
	// Outcome is what the spec's check found (report.Outcome): the
	// violations it observed, each naming its requirement, and what
	// happened to the server. HasOutcome is false when the spec attached
	// none (it was skipped, or ended before its check did).
	Outcome    report.Outcome
	HasOutcome bool
	// RunTime is how long it ran.
	RunTime time.Duration
}

// Failed reports whether the spec ended with a verdict against the server:
// ginkgo's state "failed". A spec that timed out, panicked or was aborted
// or interrupted did not fail: it ended without a verdict (see Ended).
func (s Spec) Failed() bool { return s.State == "failed" }

// Ended reports whether the spec ended without a verdict: ginkgo's timeout,
// a panic, an abort or an interrupt ended it, whatever the server did.
func (s Spec) Ended() bool {
	switch s.State {
	case "timedout", "aborted", "panicked", "interrupted":
		return true
	}
	return false
}

// Has reports whether the spec has the label l.
func (s Spec) Has(l string) bool {
	for _, x := range s.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// FailedSpecs returns the specs labelled id that failed (ended in ginkgo's
// state "failed"), or every failed spec when id is "".
func (r *Result) FailedSpecs(id string) []Spec {
	var out []Spec
	for _, s := range r.Specs {
		if s.Failed() && (id == "" || s.Has(id)) {
			out = append(out, s)
		}
	}
	return out
}

// Status returns the report's status of requirement id, "" if absent.
func (r *Result) Status(id string) report.Status {
	if q, ok := r.Requirement(id); ok {
		return q.Status
	}
	return ""
}

// Requirement returns the report's line for requirement id.
func (r *Result) Requirement(id string) (report.Requirement, bool) {
	for _, q := range r.Report.Requirements {
		if q.ID == id {
			return q, true
		}
	}
	return report.Requirement{}, false
}

// Run runs the suites once as o says and reads back their reports. A run
// whose server fails the suites is a result, not an error: the error is
// for a run that could not be made or left no report (the binary is
// missing, it was killed, the report does not parse). When ctx is done the
// suites are interrupted, given o.Grace to stop their server, then killed.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Suites == "" || o.Report == "" {
		return nil, errors.New("suiterun: Suites and Report are required")
	}
	if !filepath.IsAbs(o.Report) {
		abs, err := filepath.Abs(o.Report)
		if err != nil {
			return nil, fmt.Errorf("suiterun: %w", err)
		}
		o.Report = abs
	}
	js, md, gj, logPath := o.paths()
	for _, p := range []string{js, md, gj} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("suiterun: %w", err)
		}
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("suiterun: %w", err)
	}
	defer logFile.Close()

	s := o.Settings
	s.Report = js
	args := append(s.Args(), "-ginkgo.json-report", gj, "-ginkgo.no-color")
	if o.LabelFilter != "" {
		args = append(args, "-ginkgo.label-filter", o.LabelFilter)
	}
	if o.Seed != 0 {
		args = append(args, "-ginkgo.seed", strconv.FormatInt(o.Seed, 10))
	}
	cmd := exec.CommandContext(ctx, o.Suites, args...)
	cmd.Dir = o.Dir
	cmd.Env = CleanEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Interrupted, ginkgo runs the suite's cleanup, which stops the
	// server command's whole process group; killed, it would leave it.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = o.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 20 * time.Second
	}
	begin := time.Now()
	runErr := cmd.Run()
	res := &Result{Elapsed: time.Since(begin), JSON: js, Markdown: md, Ginkgo: gj, Log: logPath}
	var exit *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exit) && exit.Exited() && ctx.Err() == nil:
		res.ExitCode = exit.ExitCode()
	default:
		return nil, fmt.Errorf("suiterun: %s: %w (output in %s)", o.target(), runErr, logPath)
	}
	if res.Report, err = readReport(js); err != nil {
		return nil, fmt.Errorf("suiterun: %s: %w (output in %s)", o.target(), err, logPath)
	}
	if res.Specs, err = readSpecs(gj); err != nil {
		return nil, fmt.Errorf("suiterun: %s: %w (output in %s)", o.target(), err, logPath)
	}
	return res, nil
}

// target names the run's target in its errors: the server command, or
// what the settings point at.
func (o Options) target() string {
	if o.Settings.ServerCmd != "" {
		return o.Settings.ServerCmd
	}
	return o.Settings.Describe()
}

// CleanEnv returns env without the UPCHECK_* settings, for a run of the
// suites whose target is the one it names, whatever the caller's
// environment says. It keeps target.EnvHarness: the servers of that run
// still die with the upcheck processes above the caller.
func CleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "UPCHECK_") || strings.HasPrefix(kv, target.EnvHarness+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func readReport(path string) (report.Report, error) {
	var r report.Report
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("no conformance report: %w", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("conformance report %s: %w", path, err)
	}
	return r, nil
}

// readSpecs reads the specs of ginkgo's JSON report at path.
func readSpecs(path string) ([]Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no ginkgo report: %w", err)
	}
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, fmt.Errorf("ginkgo report %s: %w", path, err)
	}
	var specs []Spec
	for _, r := range reports {
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt {
				continue
			}
			if sr.State == types.SpecStateSkipped && sr.FailureMessage() == "" && !selected(r, sr) {
				continue
			}
			o, has := report.OutcomeOf(sr)
			specs = append(specs, Spec{
				Text:       sr.FullText(),
				Containers: sr.ContainerHierarchyTexts,
				Leaf:       sr.LeafNodeText,
				Labels:     sr.Labels(),
				State:      sr.State.String(),
				Failure:    firstLine(sr.FailureMessage()),
				Outcome:    o,
				HasOutcome: has,
				RunTime:    sr.RunTime,
			})
		}
	}
	return specs, nil
}

// selected reports whether the run's label filter selects sr.
func selected(r types.Report, sr types.SpecReport) bool {
	ok, err := sr.MatchesLabelFilter(r.SuiteConfig.LabelFilter)
	return ok && err == nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
