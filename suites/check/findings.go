package check

import (
	"os"
	"strings"
	"sync"
	"time"
)

// Finding is a fault of the server that a check confirmed, which later
// checks of the same run need not wait out again.
type Finding string

// The findings the TCP checks record and use.
const (
	// NoEOF: a connection had its whole reply but no EOF within T of its
	// half-close. Later waits for an EOF after a whole reply are short,
	// and their silence is TCP-EOF's, not the checking requirement's.
	NoEOF Finding = "TCP-EOF no EOF"
	// Unanswered: a connection that half-closed got no byte of its reply
	// within T. Later waits for a reply after a half-close are short.
	Unanswered Finding = "TCP-EOF no reply"
	// NoRoundTrip: a lone open connection got no reply within T. Later
	// waits for a reply on an open connection are short, and their
	// silence is TCP-ROUNDTRIP's.
	NoRoundTrip Finding = "TCP-ROUNDTRIP no reply"
	// NotConcurrent: a connection got no reply within T while another
	// connection was open. Later checks that need a second connection
	// served alongside a first are not judged.
	NotConcurrent Finding = "TCP-CONCURRENT no reply"
)

// knownWait replaces T, before Env.Scale, for a wait whose silence a
// finding already explains: long enough for a reply that is merely late
// behind the fault, short enough that a suite against a broken server ends
// in well under a minute.
const knownWait = 300 * time.Millisecond

// Findings records what the checks of one run confirmed about the server
// (see Finding), for the checks after them, in this process and, through a
// file, in the other processes of a parallel run. A nil *Findings records
// nothing and knows nothing. Its methods are safe for concurrent use.
type Findings struct {
	path string
	mu   sync.Mutex
	seen map[Finding]bool
}

// NewFindings returns an empty record, shared through the file at path
// ("" for none): Note appends a line to it, Has reads it.
func NewFindings(path string) *Findings {
	return &Findings{path: path, seen: map[Finding]bool{}}
}

// Note records f.
func (fs *Findings) Note(f Finding) {
	if fs == nil {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.seen[f] {
		return
	}
	fs.seen[f] = true
	if fs.path == "" {
		return
	}
	if file, err := os.OpenFile(fs.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		file.WriteString(string(f) + "\n")
		file.Close()
	}
}

// Has reports whether f was recorded, here or in another process.
func (fs *Findings) Has(f Finding) bool {
	if fs == nil {
		return false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.seen[f] {
		return true
	}
	if fs.path == "" {
		return false
	}
	b, err := os.ReadFile(fs.path)
	if err != nil {
		return false
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if l != "" {
			fs.seen[Finding(l)] = true
		}
	}
	return fs.seen[f]
}

// wait returns how long to wait for a reply or an EOF whose silence f
// would explain: T, or a short wait once f is known.
func (e Env) wait(f Finding) time.Duration {
	if e.Findings.Has(f) {
		return e.T(knownWait)
	}
	return e.T(ReplyTimeout)
}
