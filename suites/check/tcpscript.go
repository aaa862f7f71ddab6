package check

import (
	"fmt"
	"time"
)

// TCPOp is one kind of action in a scripted TCP connection.
type TCPOp int

// The actions a scripted connection can take. HalfClose, Reset and Close end
// the connection's script; a script without one ends by waiting for every
// reply and closing.
const (
	// Write sends Data, in chunks whose sizes cycle through Chunks (nil:
	// one write), sleeping Pause between chunks.
	Write TCPOp = iota
	// Pause sleeps for Pause.
	Pause
	// Read waits until every byte written so far has come back.
	Read
	// HalfClose shuts down the write side (FIN), then reads to the end:
	// the reply must be complete and end in an orderly EOF.
	HalfClose
	// Reset closes with SO_LINGER 0, sending a RST.
	Reset
	// Close closes abruptly, without reading what is pending.
	Close
)

var opNames = [...]string{"write", "pause", "read", "half-close", "reset", "close"}

func (op TCPOp) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return fmt.Sprintf("op%d", int(op))
}

// TCPStep is one action of a scripted connection.
type TCPStep struct {
	Op     TCPOp         `json:"op"`
	Data   []byte        `json:"data,omitempty"`
	Chunks []int         `json:"chunks,omitempty"`
	Pause  time.Duration `json:"pause,omitempty"`
}

// TCPConnScript is what one client connection does, in order.
type TCPConnScript struct {
	Steps   []TCPStep `json:"steps"`
	NoDelay bool      `json:"nodelay,omitempty"` // TCP_NODELAY on the client (default: Nagle on)
}

// TCPScript is a set of client connections run concurrently against a TCP
// server, then judged: after an orderly end each reply is exactly upper(sent)
// followed by EOF; after a reset or abrupt close it is a prefix of
// upper(sent); a Read gets every byte written so far back; no connection
// receives another's bytes; and afterwards the server still answers a new
// connection.
type TCPScript struct {
	// ID, when set, is the requirement the script checks (a spec's):
	// violations that say nothing of another rule (a write refused, a
	// Read cut by the end of the stream) are reported under it, and every
	// other under the requirement its kind of observation breaks, as
	// when ID is empty (the fuzzers), where each violation is attributed
	// so.
	ID string `json:"id,omitempty"`
	// Case names the case in failure text.
	Case  string          `json:"case,omitempty"`
	Conns []TCPConnScript `json:"conns"`
	// SkipFinalProbe leaves out the closing check that a new connection
	// is still served.
	SkipFinalProbe bool `json:"skip_final_probe,omitempty"`

	// beside says another connection, not the script's, is open while
	// it runs (a bystander): its connections' silence is then a finding
	// about concurrency, as with several connections.
	beside bool
	// known says what earlier checks confirmed (see Findings): silence it
	// explains is that requirement's, not the script's.
	known func(Finding) bool
	// served says the server answered some connection while the script
	// ran (the bystander, one of its own, or a lone connection tried
	// after it): without it, silence among several connections says
	// nothing about concurrency.
	served bool
	// midStream says a connection that got part of its reply before its
	// stream ended lost the rest in the stream, not at its end: a new
	// connection that waited for the same request's reply did not get it
	// whole either (see lostMidStream).
	midStream bool
}

// concurrent reports whether s's connections run alongside others: its
// own, or a bystander.
func (s TCPScript) concurrent() bool { return s.beside || len(s.Conns) > 1 }

// has reports whether f was confirmed before s ran.
func (s TCPScript) has(f Finding) bool { return s.known != nil && s.known(f) }

// sentBytes returns every byte the connection's script writes.
func (cs TCPConnScript) sentBytes() []byte {
	var b []byte
	for _, s := range cs.Steps {
		if s.Op == Write {
			b = append(b, s.Data...)
		}
	}
	return b
}

// terminal returns the step that ends the script, or Read for none.
func (cs TCPConnScript) terminal() TCPOp {
	for _, s := range cs.Steps {
		if s.Op >= HalfClose {
			return s.Op
		}
	}
	return Read
}

// idOr returns the requirement a violation is reported under: s.ID, or
// id, the one its symptom breaks, when s leaves that to the symptoms.
func (s TCPScript) idOr(id string) string {
	if s.ID != "" {
		return s.ID
	}
	return id
}
