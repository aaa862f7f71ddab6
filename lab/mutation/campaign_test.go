package mutation

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/lab/mutants"
	"github.com/upcheck/upcheck/suites/suiterun"
	"github.com/upcheck/upcheck/suites/target"
)

// How the suites are run against the mutants.
const (
	// mutantScale is the time scale of every run: the mutants' and the
	// controls', which must pass under the same conditions. It is the
	// default scale, at which users run upcheck: at 0.3 (the scale the
	// mutants ran at once, to save time) the Python example could not
	// even start within its scaled start-up bound with the pool's other
	// runs sharing two cores, and specs ended by their timeouts.
	mutantScale = 1
	// suiteRuns is how many runs of the suites go at once. Most of a
	// mutant's run is spent waiting on timeouts.
	suiteRuns = 6
	// suitesSeed is ginkgo's seed for every run: the same specs in the
	// same order with the same random inputs, on every machine.
	suitesSeed = 20260101
)

// slowFirst are the mutants whose runs take longest (they leave every
// request unanswered): they start first so that they do not finish last.
var slowFirst = []string{"LineBuffered", "BufferUntilEOF", "FillBuffer", "NoCloseOnEOF", "TickerFlush", "Serial", "LockedRead", "UDPFirstPeer", "UDPFixedLog"}

// pythonCmd runs the Python example (examples/python), from the module
// root.
const pythonCmd = "python3 examples/python/server.py --host {host} --tcp {tcp} --udp {udp}"

// exitAtOnceCmd is a server command that exits as soon as it starts.
const exitAtOnceCmd = "echo starting on {tcp} and {udp}; exit 3"

// suitesRun is one run of the suites.
type suitesRun struct {
	res *suiterun.Result
	err error
	// retried are the harness errors of earlier tries that ended before
	// the server answered (see startTries).
	retried []string
}

// startTries is how many times a run is tried while the server command
// does not answer within the harness's start-up bound: with the pool's
// other runs starting at once on two cores, an interpreter (the Python
// example) can take longer than that to start. It is a harness error, no
// verdict on the server or on the checks, and any run gets the same tries.
const startTries = 3

// startFailed reports whether a run ended before its server answered.
func startFailed(res *suiterun.Result) bool {
	return res != nil && strings.Contains(res.Report.HarnessError, "did not answer within")
}

// control is a run of the suites against an implementation that must pass
// (impl: "reference" or "python"), with a mutant's label filter, time
// scale and place in the pool of concurrent runs: a check that would fail
// a correct server under the mutants' conditions fails it here, instead of
// catching every mutant.
type control struct {
	impl, filter string
	suitesRun
}

// name names the control run: "reference (tcp specs)".
func (c control) name() string {
	if c.filter == "" {
		return c.impl + " (every spec)"
	}
	return fmt.Sprintf("%s (%s specs)", c.impl, c.filter)
}

// campaign is everything the tests judge, gathered once: the suites' runs
// against each mutant, the reference and a command that exits at once, as
// separate processes; and each fuzz property against each mutant, in
// process. Both halves start together on first use and run side by side.
type campaign struct {
	start sync.Once
	dir   string // binaries and reports; kept when a test fails

	suitesDone chan struct{}
	buildErr   error
	mutantRuns map[string]suitesRun
	exitAtOnce suitesRun
	// controls are the runs of the implementations that must pass, under
	// the mutants' conditions; pythonSkipped says why the Python example
	// has none.
	controls      []control
	pythonSkipped string

	fuzzDone chan struct{}
	fuzz     map[string]map[string]*fuzzResult // mutant -> property -> result
	fuzzRef  map[string]*Caught                // property -> result on the reference
}

var the = campaign{suitesDone: make(chan struct{}), fuzzDone: make(chan struct{})}

// begin starts both halves of the campaign, once.
func (c *campaign) begin() {
	c.start.Do(func() {
		dir, err := os.MkdirTemp("", "upcheck-mutation-")
		if err != nil {
			c.buildErr = err
			close(c.suitesDone)
			close(c.fuzzDone)
			return
		}
		c.dir = dir
		go func() {
			defer close(c.suitesDone)
			c.runSuites()
		}()
		go func() {
			defer close(c.fuzzDone)
			c.runFuzz()
		}()
	})
}

// started reports whether the campaign was started.
func (c *campaign) started() bool { return c.dir != "" || c.buildErr != nil }

// wait waits for whatever was started to end.
func (c *campaign) wait() {
	if !c.started() {
		return
	}
	<-c.suitesDone
	<-c.fuzzDone
}

// suites returns the suites' half of the campaign, running it if needed.
func suites(t *testing.T) *campaign {
	t.Helper()
	skipShort(t)
	the.begin()
	<-the.suitesDone
	if the.buildErr != nil {
		t.Fatalf("cannot build the suites and servers: %v", the.buildErr)
	}
	return &the
}

// fuzzing returns the fuzz half of the campaign, running it if needed.
func fuzzing(t *testing.T) *campaign {
	t.Helper()
	skipShort(t)
	the.begin()
	<-the.fuzzDone
	return &the
}

// skipShort skips the campaign's tests under go test -short: it takes
// minutes.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("the mutation campaign takes about six minutes: run without -short")
	}
}

// runSuites builds the suites' test binary, mutantd and upperd once, then
// runs the suites against every mutant (its protocol's specs only, or
// every spec for those of everySpec, at mutantScale), the reference and
// the Python example under the same conditions (each label filter a mutant
// is run with, at mutantScale, in the same pool) and exitAtOnceCmd,
// suiteRuns at a time.
func (c *campaign) runSuites() {
	ctx := context.Background()
	root, err := target.ModuleRoot()
	if err != nil {
		c.buildErr = err
		return
	}
	bin := filepath.Join(c.dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		c.buildErr = err
		return
	}
	var suitesBin, mutantd, upperd string
	var errs [3]error
	var wg sync.WaitGroup
	wg.Go(func() { suitesBin, errs[0] = suiterun.BuildSuites(ctx, root, bin) })
	wg.Go(func() { mutantd, errs[1] = suiterun.BuildCommand(ctx, root, bin, "./lab/cmd/mutantd") })
	wg.Go(func() { upperd, errs[2] = suiterun.BuildCommand(ctx, root, bin, "./cmd/upperd") })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			c.buildErr = err
			return
		}
	}

	type job struct {
		name string
		opts suiterun.Options
		into func(suitesRun)
	}
	report := func(name string) string { return filepath.Join(c.dir, name+".json") }
	var jobs []job
	// The controls go first: they run beside the slowest mutants, in the
	// fullest pool.
	ms := allMutants()
	var filters []string
	for _, m := range ms {
		if f := labelFilter(m); !slices.Contains(filters, f) {
			filters = append(filters, f)
		}
	}
	slices.Sort(filters)
	impls := []struct{ name, cmd string }{{"reference", upperd + " -tcp {host}:{tcp} -udp {host}:{udp}"}}
	if _, err := exec.LookPath("python3"); err != nil {
		c.pythonSkipped = "python3 is not on PATH"
	} else {
		impls = append(impls, struct{ name, cmd string }{"python", pythonCmd})
	}
	c.controls = make([]control, 0, len(impls)*len(filters))
	for _, impl := range impls {
		for _, f := range filters {
			i := len(c.controls)
			c.controls = append(c.controls, control{impl: impl.name, filter: f})
			jobs = append(jobs, job{c.controls[i].name(), suiterun.Options{
				Settings:    target.Settings{ServerCmd: impl.cmd, TimeScale: mutantScale},
				Report:      report(fmt.Sprintf("%s-%d", impl.name, i)),
				LabelFilter: f,
			}, func(r suitesRun) { c.controls[i].suitesRun = r }})
		}
	}
	jobs = append(jobs, job{"exit-at-once", suiterun.Options{
		Settings: target.Settings{ServerCmd: exitAtOnceCmd},
		Report:   report("exit-at-once"),
	}, func(r suitesRun) { c.exitAtOnce = r }})

	slices.SortStableFunc(ms, func(a, b *mutants.Mutant) int { return slowRank(a.Name) - slowRank(b.Name) })
	c.mutantRuns = make(map[string]suitesRun, len(ms))
	var mu sync.Mutex
	for _, m := range ms {
		jobs = append(jobs, job{m.Name, suiterun.Options{
			Settings:    target.Settings{ServerCmd: fmt.Sprintf("%s -mutant %s -tcp {host}:{tcp} -udp {host}:{udp}", mutantd, m.Name), TimeScale: mutantScale},
			Report:      report("mutant-" + m.Name),
			LabelFilter: labelFilter(m),
		}, func(r suitesRun) {
			mu.Lock()
			defer mu.Unlock()
			c.mutantRuns[m.Name] = r
		}})
	}

	hosts := poolHosts(len(jobs))
	sem := make(chan struct{}, suiteRuns)
	for i, j := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			o := j.opts
			o.Suites, o.Dir, o.Seed = suitesBin, root, suitesSeed
			o.Settings.Host = hosts[i]
			var r suitesRun
			for try := 0; try < startTries; try++ {
				begin := time.Now()
				r.res, r.err = suiterun.Run(ctx, o)
				if debug {
					fmt.Fprintf(os.Stderr, "mutation: suites against %s: %v\n", j.name, time.Since(begin).Round(time.Millisecond))
				}
				if o.Settings.ServerCmd == exitAtOnceCmd || r.err != nil || !startFailed(r.res) {
					break
				}
				r.retried = append(r.retried, r.res.Report.HarnessError)
			}
			j.into(r)
		})
	}
	wg.Wait()
}

// poolHosts returns a loopback address for each of n runs of the pool:
// 127.0.1.1, 127.0.1.2 and on, where the system answers on them (Linux
// does on all of 127.0.0.0/8), else 127.0.0.1 for every run. On an address
// of its own, a run's server and UDP clients receive nothing meant for
// another run: a run probing a port its dead server left free, which the
// kernel had since given another run's client socket, once made that
// client see stray datagrams "from another port of the same host" and fail
// the reference on UDP-SOURCE. The fuzz half stays on 127.0.0.1.
func poolHosts(n int) []string {
	hosts := make([]string, n)
	own := true
	if pc, err := net.ListenPacket("udp", "127.0.1.1:0"); err != nil {
		own = false
	} else {
		pc.Close()
	}
	for i := range hosts {
		hosts[i] = "127.0.0.1"
		if own {
			hosts[i] = fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250)
		}
	}
	return hosts
}

// debug prints the campaign's timings (UPCHECK_DEBUG set).
var debug = os.Getenv("UPCHECK_DEBUG") != ""

// slowRank orders the mutants known to be slow first.
func slowRank(name string) int {
	if i := slices.Index(slowFirst, name); i >= 0 {
		return i
	}
	return len(slowFirst)
}

// everySpec are the mutants run with every spec, not only their
// protocol's, and why.
var everySpec = map[string]string{
	"UDPNeverServed": "a silent UDP side must leave the working TCP side judged, each requirement on its own",
}

// labelFilter selects the specs of the protocols that carry m's fault, or
// every spec for the mutants of everySpec.
func labelFilter(m *mutants.Mutant) string {
	if _, ok := everySpec[m.Name]; ok {
		return ""
	}
	ps := m.Protocols()
	if len(ps) == 1 {
		return ps[0]
	}
	return ""
}
