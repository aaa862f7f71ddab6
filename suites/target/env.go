package target

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/upcheck/upcheck/suites/check"
)

// Env returns where and how the checks find the target now: its addresses
// (a server command that Healthy restarted may listen on other ports), its
// declared UDP maximum and its time scale, with logf for the checks' ports
// and timings (nil discards them). Ask for it afresh for every check.
func (t *Target) Env(logf func(format string, args ...any)) check.Env {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state().env(logf)
}

// Lost returns, once Healthy has said that the target cannot be judged any
// more (a *HarnessError, or a *DownError whose server could not be
// restarted), that *HarnessError; nil before. It stays set: the checks
// after it could not be judged.
func (t *Target) Lost() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lost == nil {
		return nil
	}
	return t.lost
}

// noteLost records in t.lost what a Healthy result says about the target
// being lost for good. t.mu is held.
func (t *Target) noteLost(err error) {
	if t.lost != nil || err == nil {
		return
	}
	var down *DownError
	var herr *HarnessError
	switch {
	case errors.As(err, &down):
		t.lost = down.Restart // nil when the server is back
	case errors.As(err, &herr):
		t.lost = herr
	default:
		t.lost = &HarnessError{Msg: err.Error(), Err: err}
	}
}

// Share writes the target's state (its Env without Logf, and why it is
// lost once it is) to the file at path now, and again whenever Healthy
// changes it, for other processes to Follow: the processes of a parallel
// ginkgo run, whose first process runs the target. The file is replaced
// whole, so a reader never sees half of it.
func (t *Target) Share(path string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sharePath = path
	return t.publish()
}

// publish writes the target's state to t.sharePath, if it is shared and
// the state changed since it was last written. t.mu is held.
func (t *Target) publish() error {
	if t.sharePath == "" {
		return nil
	}
	st := t.state()
	if t.published != nil && *t.published == st {
		return nil
	}
	if err := writeShared(t.sharePath, st); err != nil {
		return &HarnessError{Msg: fmt.Sprintf("cannot share the target with the other processes: %v", err), Err: err}
	}
	t.published = &st
	return nil
}

// state is what the target tells other processes. t.mu is held.
func (t *Target) state() sharedState {
	st := sharedState{TCP: t.tcpAddr, UDP: t.udpAddr, UDPMax: t.settings.UDPMax, TimeScale: t.settings.TimeScale,
		TCPSilent: t.tcpProbe.Silent, UDPSilent: t.udpProbe.Silent}
	if t.lost != nil {
		st.Lost = t.lost.Error()
	}
	return st
}

// sharedState is the content of a shared target's file.
type sharedState struct {
	TCP       string  `json:"tcp"`
	UDP       string  `json:"udp"`
	UDPMax    int     `json:"udp_max"`
	TimeScale float64 `json:"time_scale"`
	// Lost is the Error text of Target.Lost, "" while the target can be
	// judged.
	Lost string `json:"lost,omitempty"`
	// TCPSilent and UDPSilent are the probe's ProbeResult.Silent: what it
	// saw of a side that never answered while the other did.
	TCPSilent string `json:"tcp_silent,omitempty"`
	UDPSilent string `json:"udp_silent,omitempty"`
}

func (st sharedState) env(logf func(string, ...any)) check.Env {
	return check.Env{TCP: st.TCP, UDP: st.UDP, UDPMax: st.UDPMax, Scale: st.TimeScale, Logf: logf,
		TCPSilent: st.TCPSilent, UDPSilent: st.UDPSilent}
}

// writeShared replaces the file at path with st: written beside it, then
// renamed over it.
func writeShared(path string, st sharedState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func readShared(path string) (sharedState, error) {
	var st sharedState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Follower is a target that another process runs and shares (see
// Target.Share), as that process last described it. Its methods are safe
// for concurrent use.
type Follower struct {
	path string
	mu   sync.Mutex
	last sharedState
	// silence is this process's memory of UDP servers seen silent,
	// handed to every check (check.Env.Silence).
	silence *check.Silence
}

// Follow returns the target shared at path. The error says the file cannot
// be read; once it has been, a later failure to read it keeps the state
// last read.
func Follow(path string) (*Follower, error) {
	st, err := readShared(path)
	if err != nil {
		return nil, &HarnessError{Msg: fmt.Sprintf("cannot read the shared target: %v", err), Err: err}
	}
	return &Follower{path: path, last: st, silence: check.NewSilence()}, nil
}

// read returns the shared state as the file says it now.
func (f *Follower) read() sharedState {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, err := readShared(f.path); err == nil {
		f.last = st
	}
	return f.last
}

// Env is Target.Env of the shared target as its process last described it:
// ask for it afresh for every check.
//
// The Env of one Follower remembers, from check to check, the UDP servers
// seen silent (check.Silence), so that later checks wait less on them.
func (f *Follower) Env(logf func(format string, args ...any)) check.Env {
	e := f.read().env(logf)
	e.Silence = f.silence
	return e
}

// Lost is Target.Lost of the shared target: a *HarnessError with its text
// once the target cannot be judged any more, nil before.
func (f *Follower) Lost() error {
	if st := f.read(); st.Lost != "" {
		return &HarnessError{Msg: st.Lost}
	}
	return nil
}
