package check

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Case timeouts, before Env.Scale. Every check bounds each of its own steps
// well within them; they only guarantee that no case outlives them, whatever
// the server does.
const (
	// CaseTimeout bounds an ordinary case.
	CaseTimeout = 30 * time.Second
	// HeavyCaseTimeout bounds a case that runs hundreds or thousands of
	// connections or datagrams.
	HeavyCaseTimeout = 120 * time.Second
)

// Case is one conformance case: a check of one requirement with its
// parameters fixed, under a name. The ginkgo suite makes a spec of each,
// named by Path and labelled with Labels; Run runs any of them directly.
type Case struct {
	// Req is the requirement the case checks; its violations name it.
	Req Req
	// Topic heads the cases listed together: the requirement's ID, or the
	// ID and the setting they share ("TCP-EOF through a network that cuts
	// and delays segments").
	Topic string
	// Group is the rule a group of cases shows, each with its own
	// parameters; "" for a case listed alone.
	Group string
	// Name says what the case does; it is unique within its topic and
	// group.
	Name string
	// Labels are labels beyond the requirement's ID and protocol, shared by
	// the cases of a topic ("proxy").
	Labels []string
	// Serial cases load the server enough to run alone, never alongside
	// another case.
	Serial bool
	// Timeout bounds the case, before Env.Scale: CaseTimeout or
	// HeavyCaseTimeout.
	Timeout time.Duration
	// Seen is what an INFO case reports when its check finds nothing to
	// remark on.
	Seen string
	// Needs are the requirements whose events the case also causes (a
	// case that resets some of its connections needs TCP-RESET): a
	// server that goes away during the case, and goes away again when
	// such an event is caused alone (see Provoke), is not judged on the
	// case.
	Needs []Req
	// Check runs the case against e and returns what it found: nil,
	// Violations (AsViolations), or an error that holds none when the case
	// could not be judged (no address to check, an interrupted context).
	Check func(ctx context.Context, e Env) error

	// file and line are where the case is declared.
	file string
	line int
}

// Run runs c's check bounded by its timeout, scaled by e.Scale: the one
// place a case gets its deadline. A heavy TCP case first lets the server
// settle (SettleTCP), so that it judges the server as it would alone,
// whatever ran before it.
//
// A case of a protocol whose side of the target never answered the
// pre-flight probe (Env.TCPSilent, Env.UDPSilent) fails at once with what
// the probe saw, under its own requirement: every rule of that protocol
// needs replies, and waiting out each case's timeouts again would add
// nothing but time.
func (c Case) Run(ctx context.Context, e Env) error {
	if seen := e.silent(c.Proto()); seen != "" {
		var vs Violations
		vs.add(string(c.Req), c.Name, "replies from the target's "+strings.ToUpper(c.Proto())+" side, as the rule needs",
			seen, "the pre-flight probe, before any case; the other protocol answered")
		return vs
	}
	ctx, cancel := e.within(ctx, c.Timeout)
	defer cancel()
	if c.Timeout >= HeavyCaseTimeout && c.Proto() == "tcp" {
		SettleTCP(ctx, e)
	}
	return c.Check(ctx, e)
}

// Proto returns "tcp" or "udp": the protocol of c's requirement.
func (c Case) Proto() string {
	r, _ := c.Req.Requirement()
	return r.Proto
}

// Level returns how a failure of c counts: its requirement's level.
func (c Case) Level() Level {
	r, _ := c.Req.Requirement()
	return r.Level
}

// AllLabels returns c's requirement ID, its protocol and its Labels: what
// the suite labels its spec with (go tool ginkgo --label-filter=TCP-EOF).
func (c Case) AllLabels() []string {
	return append([]string{string(c.Req), c.Proto()}, c.Labels...)
}

// Path returns c's topic, group (when it has one) and name: the texts of
// its spec's containers and its own.
func (c Case) Path() []string {
	if c.Group == "" {
		return []string{c.Topic, c.Name}
	}
	return []string{c.Topic, c.Group, c.Name}
}

// FullName returns c's path as one line, the full text of its spec.
func (c Case) FullName() string { return strings.Join(c.Path(), " ") }

// Declared returns the file and line where c is declared in the table, or
// "" and 0 for a case declared elsewhere.
func (c Case) Declared() (file string, line int) { return c.file, c.line }

// Options fix what in the table varies from run to run.
type Options struct {
	// Seed draws the random write sizes, segment sizes and payloads of the
	// cases that have them; it is in their names, so that a failure can be
	// replayed.
	Seed int64
	// UDPMax is the declared maximum datagram payload that the UDP-SIZE
	// cases are built around; 0 means DefaultUDPMax.
	UDPMax int
}

// Cases is a list of cases.
type Cases []Case

// Table returns every conformance case: the cases of each requirement, in
// SEMANTICS.md order, and within a requirement in the order the report looks
// for its first failure.
func Table(o Options) Cases {
	if o.UDPMax <= 0 {
		o.UDPMax = DefaultUDPMax
	}
	var t table
	tcpCases(&t, o)
	udpCases(&t, o)
	return t.cases
}

// Select returns the cases keep accepts, in order.
func (cs Cases) Select(keep func(Case) bool) Cases {
	var out Cases
	for _, c := range cs {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Only accepts the cases of the requirements given: a filter for Select.
func Only(reqs ...Req) func(Case) bool {
	return func(c Case) bool { return slices.Contains(reqs, c.Req) }
}

// Result is what one case found.
type Result struct {
	Case Case
	// Err is what the case's check returned: nil, Violations, or an error
	// that holds none when the case could not be judged.
	Err error
	// Skipped says why the case did not run: its protocol is not served.
	Skipped string
}

// Results is what a run of cases found, case by case.
type Results []Result

// Run runs each of cs against e, one after another, each through Case.Run,
// and returns what every one found. A case whose protocol e does not serve
// (no address) is skipped; once ctx ends, the cases left are not run.
func Run(ctx context.Context, e Env, cs Cases) Results {
	out := make(Results, 0, len(cs))
	for _, c := range cs {
		r := Result{Case: c}
		switch {
		case c.Proto() == "tcp" && e.TCP == "":
			r.Skipped = "TCP not configured"
		case c.Proto() == "udp" && e.UDP == "":
			r.Skipped = "UDP not configured"
		case ctx.Err() != nil:
			r.Err = fmt.Errorf("check: %s not run: %w", c.FullName(), ctx.Err())
		default:
			r.Err = c.Run(ctx, e)
		}
		out = append(out, r)
	}
	return out
}

// Violations returns every violation of every case.
func (rs Results) Violations() Violations {
	var vs Violations
	for _, r := range rs {
		vs = append(vs, AsViolations(r.Err)...)
	}
	return vs
}

// Err returns what makes the run fail, or nil: each violation of a MUST
// requirement and each case that could not be judged, under the case's full
// name. The findings of SHOULD and INFO cases are left to Violations.
func (rs Results) Err() error {
	var errs []error
	for _, r := range rs {
		if r.Err == nil || (r.Case.Level() != Must && len(AsViolations(r.Err)) > 0) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s:\n%w", r.Case.FullName(), r.Err))
	}
	return errors.Join(errs...)
}

// table collects cases as they are declared.
type table struct{ cases Cases }

// add appends c, with its topic defaulting to its requirement's ID and its
// timeout to CaseTimeout, and records where it is declared: the line of the
// table function (tcpCases, udpCases) that adds it, directly or through a
// helper of its own.
func (t *table) add(c Case) {
	c.file, c.line = declaredAt()
	if c.Topic == "" {
		c.Topic = string(c.Req)
	}
	if c.Timeout == 0 {
		c.Timeout = CaseTimeout
	}
	t.cases = append(t.cases, c)
}

// declaredAt returns the file and line of the table function's frame: the
// one Table calls.
func declaredAt() (string, int) {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	var prev runtime.Frame
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "/check.Table") {
			return prev.File, prev.Line
		}
		if !more {
			return "", 0
		}
		prev = f
	}
}
