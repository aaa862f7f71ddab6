package check

import "sync"

// Silence remembers, across the checks of one run, the UDP servers seen
// silent: a script whose every socket got no datagram at all back through
// every try. Later exchanges with the same address then try each datagram
// SilentTries times instead of UDPTries, so that a server that stopped
// answering costs each later case a fraction of the wait; the first reply
// from it ends that. Silence alone is evidence only of a rule about
// liveness, so a verdict never depends on the shorter wait beyond the
// "no reply" it already had. A nil *Silence remembers nothing (each check
// starts afresh). Its methods are safe for concurrent use.
type Silence struct {
	mu  sync.Mutex
	udp map[string]bool
}

// SilentTries is how many times a datagram is sent to a server seen silent.
const SilentTries = 2

// NewSilence returns an empty memory.
func NewSilence() *Silence { return &Silence{udp: map[string]bool{}} }

// udpTries returns how many tries a datagram to addr gets.
func (s *Silence) udpTries(addr string) int {
	if s == nil {
		return UDPTries
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.udp[addr] {
		return SilentTries
	}
	return UDPTries
}

// UDPSilent reports whether addr was last seen silent.
func (s *Silence) UDPSilent(addr string) bool {
	return s.udpTries(addr) == SilentTries
}

// note records what an exchange with addr saw: any datagram back
// (answered), or none through every try.
func (s *Silence) note(addr string, answered bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if answered {
		delete(s.udp, addr)
	} else {
		s.udp[addr] = true
	}
}
