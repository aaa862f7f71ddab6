package mutants

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// Mutant is a faulty server. Its exported fields describe the fault; Start or
// StartOn runs it, Close stops it. A Mutant may be started again after Close.
type Mutant struct {
	// Name is the constructor's name, also the name mutantd takes.
	Name string
	// Breaks lists the requirements the fault breaks. The first is the MUST
	// requirement the mutant was written to break; the others are broken
	// as a direct consequence. Specs of further requirements may fail too:
	// each spec reports under its own ID whatever symptom it meets.
	Breaks []string
	// Bug says in one sentence what the code does wrong, as its author
	// would recognise it.
	Bug string

	// tcp and udp are the faulty server loops; nil means the reference
	// server is served for that protocol.
	tcp tcpLoop
	udp udpLoop

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
		if ln, err = servers.Listen(tcpAddr); err != nil {
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

// String returns the name, the requirements it breaks and the bug.
func (m *Mutant) String() string {
	return fmt.Sprintf("%s %v: %s", m.Name, m.Breaks, m.Bug)
}

// constructors lists every mutant, grouped by the requirement it breaks.
var constructors = []func() *Mutant{
	// TCP-ROUNDTRIP
	LineBuffered, FillBuffer,
	// TCP-BYTES
	UnicodeUpper, RuneUpper, OffByOneZ,
	// TCP-STREAM
	WholeBuffer, DropFullRead,
	// TCP-EOF
	NoCloseOnEOF, ResetOnEOF, TickerFlush,
	// a crash only a fuzzer finds
	CrashOnTelnetSB,
	// TCP-RESET, TCP-DISCONNECT
	DieOnReset, CrashOnWriteError,
	// TCP-CONCURRENT, TCP-ISOLATION, TCP-CHURN
	Serial, LockedRead, RouteByIP, ConnLimitLeak,
	// UDP
	UDPFirstPeer, UDPUnicodeUpper, UDPSkipEmpty,
	UDPSmallBuffer, UDPOffByOneMax, UDPNoTruncate,
	UDPNewSocket, UDPTwice, UDPFullBuffer, UDPLastPeer,
	UDPDieOnOversize, UDPFixedLog,
}

// All returns a new, unstarted instance of every mutant, grouped by the
// requirement each breaks first.
func All() []*Mutant {
	ms := make([]*Mutant, len(constructors))
	for i, c := range constructors {
		ms[i] = c()
	}
	return ms
}

// ByName returns a new, unstarted instance of the mutant with that name, or
// nil and false.
func ByName(name string) (*Mutant, bool) {
	for _, c := range constructors {
		if m := c(); m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// errServerReturned is the cause when a serve loop returned no error
// without being stopped: the server simply stopped serving.
var errServerReturned = errors.New("serve loop returned")
