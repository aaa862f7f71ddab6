package fuzz

import (
	"flag"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/suites/check"
)

// A clean run says what it covered: how many cases, how fast, and which
// protocol situations its cases reached, each counted (0 for one never
// reached, so that a gap shows). The situations are read off each case's
// script, before it runs.

// situation is a protocol situation and whether a case reaches it, given
// the server's declared maximum datagram size.
type situation struct {
	name string
	in   func(c *Case, udpMax int) bool
}

// tcpSituations are the situations of a TCP case.
var tcpSituations = func() []situation {
	s := []situation{
		{"writes before and after a pause", anyConn(writePauseWrite)},
		{"reads before the reply was complete", anyConn(readMidStream)},
		{"half-close with replies pending", anyConn(endsPending(check.HalfClose))},
		{"reset with replies pending", anyConn(endsPending(check.Reset))},
		{"close with replies pending", anyConn(endsPending(check.Close))},
		{"chunked writes", anyConn(chunked)},
	}
	for n := 1; n <= maxTCPConns; n++ {
		name := "1 connection"
		if n > 1 {
			name = strconv.Itoa(n) + " concurrent connections"
		}
		s = append(s, situation{name, func(c *Case, _ int) bool { return len(c.TCP.Conns) == n }})
	}
	return append(s,
		situation{"through a faulty network", func(c *Case, _ int) bool { return c.Net != nil }},
		situation{"network reset", func(c *Case, _ int) bool { return c.Net != nil && (c.Net.Up.Reset || c.Net.Down.Reset) }},
	)
}()

// udpSituations are the situations of a UDP case.
var udpSituations = []situation{
	{"empty datagram", anyDatagram(func(d []byte, _ int) bool { return len(d) == 0 })},
	{"datagram of the maximum size", anyDatagram(func(d []byte, max int) bool { return len(d) == max })},
	{"datagram of the maximum size + 1", anyDatagram(func(d []byte, max int) bool { return len(d) == max+1 })},
	{"burst", anySocket(func(s check.UDPSocketScript) bool { return s.Burst && len(s.Datagrams) > 1 })},
	{"connected socket", anySocket(func(s check.UDPSocketScript) bool { return s.Connected })},
	{"unconnected socket", anySocket(func(s check.UDPSocketScript) bool { return !s.Connected })},
	{"concurrent sockets", func(c *Case, _ int) bool { return len(c.UDP.Sockets) > 1 }},
	{"through a faulty network", func(c *Case, _ int) bool { return c.UDPNet != nil }},
}

// situationsOf returns the situations c can reach.
func situationsOf(c *Case) []situation {
	switch {
	case c.TCP != nil:
		return tcpSituations
	case c.UDP != nil:
		return udpSituations
	}
	return nil
}

func anyConn(f func(check.TCPConnScript) bool) func(*Case, int) bool {
	return func(c *Case, _ int) bool { return slices.ContainsFunc(c.TCP.Conns, f) }
}

func anySocket(f func(check.UDPSocketScript) bool) func(*Case, int) bool {
	return func(c *Case, _ int) bool { return slices.ContainsFunc(c.UDP.Sockets, f) }
}

func anyDatagram(f func(d []byte, udpMax int) bool) func(*Case, int) bool {
	return func(c *Case, udpMax int) bool {
		for _, s := range c.UDP.Sockets {
			for _, d := range s.Datagrams {
				if f(d, udpMax) {
					return true
				}
			}
		}
		return false
	}
}

// steps returns the steps a connection takes: up to the one that ends it.
func steps(cs check.TCPConnScript) []check.TCPStep {
	for i, s := range cs.Steps {
		if s.Op >= check.HalfClose {
			return cs.Steps[:i+1]
		}
	}
	return cs.Steps
}

func wrote(s check.TCPStep) bool { return s.Op == check.Write && len(s.Data) > 0 }

// writePauseWrite: the connection writes, pauses, and writes again.
func writePauseWrite(cs check.TCPConnScript) bool {
	state := 0 // 1: wrote; 2: wrote, then paused
	for _, s := range steps(cs) {
		switch {
		case wrote(s) && state == 2:
			return true
		case wrote(s):
			state = max(state, 1)
		case s.Op == check.Pause && s.Pause > 0 && state == 1:
			state = 2
		}
	}
	return false
}

// readMidStream: the connection reads its replies after a write and
// writes more afterwards, so the reply it reads is not the whole of it.
func readMidStream(cs check.TCPConnScript) bool {
	state := 0 // 1: wrote; 2: wrote, then read
	for _, s := range steps(cs) {
		switch {
		case wrote(s) && state == 2:
			return true
		case wrote(s):
			state = max(state, 1)
		case s.Op == check.Read && state == 1:
			state = 2
		}
	}
	return false
}

// endsPending: the connection ends with op after writing bytes whose
// replies it has not read: no Read since its last write.
func endsPending(op check.TCPOp) func(check.TCPConnScript) bool {
	return func(cs check.TCPConnScript) bool {
		pending := false
		for _, s := range steps(cs) {
			switch {
			case wrote(s):
				pending = true
			case s.Op == check.Read:
				pending = false
			case s.Op == op:
				return pending
			}
		}
		return false
	}
}

// chunked: the connection writes bytes in more than one piece.
func chunked(cs check.TCPConnScript) bool {
	for _, s := range steps(cs) {
		if wrote(s) && len(s.Chunks) > 0 && len(s.Data) > s.Chunks[0] {
			return true
		}
	}
	return false
}

// progressEvery is how often a property's run logs its progress.
const progressEvery = 5 * time.Second

// explorer counts what one run of a property covers (fuzzspec.Explored)
// and logs its progress every progressEvery.
type explorer struct {
	mu        sync.Mutex
	x         fuzzspec.Explored
	counts    []int // by situation of kinds
	kinds     []situation
	start     time.Time
	lastLog   time.Time
	now       func() time.Time
	logf      func(format string, args ...any)
	shrinking bool // a failure was found: rapid is shrinking it
}

// newExplorer starts counting a run of property asked for checks cases,
// logging to logf; now is the clock.
func newExplorer(property string, checks int, logf func(string, ...any), now func() time.Time) *explorer {
	t := now()
	return &explorer{x: fuzzspec.Explored{Property: property, Checks: checks}, start: t, lastLog: t, now: now, logf: logf}
}

// ran counts a case judged against a server of declared maximum udpMax,
// and whether it failed (a confirmed failure); every progressEvery it logs
// the progress. Once a case failed, rapid shrinks it: the cases after it
// are not counted. A nil explorer counts nothing.
func (r *explorer) ran(c *Case, udpMax int, failed bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shrinking {
		return
	}
	r.x.Cases++
	if failed {
		r.x.Failures++
		r.shrinking = true
	}
	if r.kinds == nil {
		r.kinds = situationsOf(c)
		r.counts = make([]int, len(r.kinds))
	}
	if udpMax <= 0 {
		udpMax = check.DefaultUDPMax
	}
	for i, s := range r.kinds {
		if s.in(c, udpMax) {
			r.counts[i]++
		}
	}
	now := r.now()
	r.x.Seconds = now.Sub(r.start).Seconds()
	if now.Sub(r.lastLog) >= progressEvery {
		r.lastLog = now
		r.logf("%s", r.x.Line(fuzzspec.ProgressPrefix))
	}
}

// explored returns what the run covered.
func (r *explorer) explored() fuzzspec.Explored {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.x
	if !r.shrinking {
		x.Seconds = r.now().Sub(r.start).Seconds()
	}
	x.Situations = make([]fuzzspec.Situation, len(r.kinds))
	for i, s := range r.kinds {
		x.Situations[i] = fuzzspec.Situation{Name: s.name, Cases: r.counts[i]}
	}
	return x
}

// checksFlag is rapid's -rapid.checks, 0 when it is not there.
func checksFlag() int {
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return 0
	}
	n, _ := strconv.Atoi(f.Value.String())
	return n
}
