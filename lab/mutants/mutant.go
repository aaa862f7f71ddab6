package mutants

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// Mutant is a faulty server: a mutant, written to break a requirement, or a
// hostile server, written to test the harness itself. Its exported fields
// describe the fault; Start or StartOn runs it, Close stops it. A Mutant may
// be started again after Close.
type Mutant struct {
	// Name is the constructor's name, also the name mutantd takes.
	Name string
	// Breaks lists the requirements the fault breaks. The first is the MUST
	// requirement the mutant was written to break; the others are broken
	// as a direct consequence. Specs of further requirements may fail too:
	// each spec reports under its own ID whatever symptom it meets. It is
	// empty for a hostile server.
	Breaks []string
	// Purpose says, for a hostile server, what it tests of the harness
	// (see Hostile). It is empty for a mutant, whose purpose is Breaks[0].
	Purpose string
	// Bug says in one sentence what the code does wrong, as its author
	// would recognise it.
	Bug string

	// tcp and udp are the faulty server loops; nil means the reference
	// server is served for that protocol.
	tcp tcpLoop
	udp udpLoop
	// listen, if not nil, makes the TCP listener in place of
	// servers.Listen, for a fault that lies in how the server listens.
	listen func(addr string) (net.Listener, error)

	mu   sync.Mutex
	proc *proc // the current or last run
}

// A tcpLoop is a mutant's TCP server: it serves ln, which is closed when the
// mutant stops, and returns the error that ended it. Connections from
// ln.Accept are closed when the mutant stops, even those the loop forgets.
type tcpLoop func(p *proc, ln net.Listener) error

// A udpLoop is a mutant's UDP server: it answers datagrams on pc, which is
// closed when the mutant stops, and returns the error that ended it.
type udpLoop func(p *proc, pc net.PacketConn) error

// Hostile reports whether m is a hostile server: one that breaks no single
// requirement but misbehaves in a way no check can expect (it never
// accepts, never stops sending, floods, dies mid-run), to show that every
// check still ends in time with a verdict, reads no more than its cap and
// leaves nothing running.
func (m *Mutant) Hostile() bool { return len(m.Breaks) == 0 }

// Protocols reports which protocols carry the fault: "tcp", "udp" or both.
func (m *Mutant) Protocols() []string {
	var ps []string
	if m.tcp != nil {
		ps = append(ps, "tcp")
	}
	if m.udp != nil {
		ps = append(ps, "udp")
	}
	return ps
}

// Start serves the mutant on 127.0.0.1 with ephemeral TCP and UDP ports, the
// faulty server for its protocol and the reference server for the other. It
// returns the addresses, which accept traffic when Start returns.
func (m *Mutant) Start() (tcpAddr, udpAddr string, err error) {
	return m.StartOn("127.0.0.1:0", "127.0.0.1:0")
}

// StartOn is Start on the given addresses; "" leaves that protocol
// unserved, and at least one is needed. If either address cannot be bound
// nothing is left listening.
func (m *Mutant) StartOn(tcpAddr, udpAddr string) (string, string, error) {
	if tcpAddr == "" && udpAddr == "" {
		return "", "", fmt.Errorf("mutants: %s: no address to serve on", m.Name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil && !m.proc.closed {
		return "", "", fmt.Errorf("mutants: %s: already started", m.Name)
	}
	var ln net.Listener
	var pc net.PacketConn
	var err error
	if tcpAddr != "" {
		listen := servers.Listen
		if m.listen != nil {
			listen = m.listen
		}
		if ln, err = listen(tcpAddr); err != nil {
			return "", "", fmt.Errorf("mutants: %s: %w", m.Name, err)
		}
	}
	if udpAddr != "" {
		if pc, err = net.ListenPacket("udp", udpAddr); err != nil {
			if ln != nil {
				ln.Close()
			}
			return "", "", fmt.Errorf("mutants: %s: %w", m.Name, err)
		}
	}

	p := newProc()
	m.proc = p
	var gotTCP, gotUDP string
	if ln != nil {
		gotTCP = ln.Addr().String()
		if m.tcp != nil {
			loop := m.tcp
			p.addCloser(ln)
			p.Go(func() { p.ended("tcp", loop(p, &trackedListener{Listener: ln, p: p})) })
		} else {
			ref := &servers.TCPServer{}
			p.addCloser(ref)
			p.Go(func() { p.ended("tcp", ref.Serve(ln)) })
		}
	}
	if pc != nil {
		gotUDP = pc.LocalAddr().String()
		if m.udp != nil {
			loop := m.udp
			p.addCloser(pc)
			p.Go(func() { p.ended("udp", loop(p, pc)) })
		} else {
			ref := &servers.UDPServer{}
			p.addCloser(ref)
			p.Go(func() { p.ended("udp", ref.Serve(pc)) })
		}
	}
	return gotTCP, gotUDP, nil
}

// Close stops everything the mutant serves: listeners, sockets and every
// connection, including those its code forgot to close, and waits until all
// its goroutines have ended. It is safe to call more than once.
func (m *Mutant) Close() error {
	m.mu.Lock()
	p := m.proc
	if p != nil {
		p.closed = true
	}
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	p.stop()
	p.wg.Wait()
	return nil
}

// Done returns a channel closed when the running mutant stops, by Close or
// because its server died (see Err). It is nil before the first Start.
func (m *Mutant) Done() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return nil
	}
	return m.proc.done
}

// Err reports why the mutant's server died by itself: a serve loop that
// returned, a handler that panicked. It is nil while the mutant runs and when
// it was stopped by Close.
func (m *Mutant) Err() error {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.crashErr()
}

// String returns the name, the requirements it breaks (or, for a hostile
// server, that it is one) and the bug.
func (m *Mutant) String() string {
	if m.Hostile() {
		return fmt.Sprintf("%s (hostile): %s", m.Name, m.Bug)
	}
	return fmt.Sprintf("%s %v: %s", m.Name, m.Breaks, m.Bug)
}

// errServerReturned is the cause when a serve loop returned no error
// without being stopped: the server simply stopped serving.
var errServerReturned = errors.New("serve loop returned")
