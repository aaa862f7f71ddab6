package mutants

import (
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
)

// proc is what a running mutant has of a process: the goroutines it started,
// the sockets it holds, and the way it dies. Stopping it (Close, or a crash)
// closes every socket and connection, which wakes every goroutine blocked on
// one; Close then waits for all of them.
type proc struct {
	wg   sync.WaitGroup
	done chan struct{} // closed when the proc stops

	mu       sync.Mutex
	stopping bool
	closed   bool // set by Mutant.Close, under Mutant.mu
	err      error
	closers  []io.Closer
	conns    map[net.Conn]struct{}
	pruneAt  int
}

func newProc() *proc {
	return &proc{done: make(chan struct{}), conns: make(map[net.Conn]struct{}), pruneAt: 1024}
}

// Go runs f in a goroutine that Close waits for. A panic in f is the
// process crashing: it is recovered and stops the whole mutant, as it would
// end a real server process.
func (p *proc) Go(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				p.crash(fmt.Errorf("panic: %v", r))
			}
		}()
		f()
	}()
}

// Done is closed when the mutant stops; loops that wait or tick select on it.
func (p *proc) Done() <-chan struct{} { return p.done }

// ended is called when a serve loop returns: unless the mutant is stopping,
// the server died.
func (p *proc) ended(proto string, err error) {
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if stopping {
		return
	}
	if err == nil {
		err = errServerReturned
	}
	p.crash(fmt.Errorf("%s server: %w", proto, err))
}

// crash records why the server died and stops everything.
func (p *proc) crash(err error) {
	p.mu.Lock()
	if !p.stopping && p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.stop()
}

func (p *proc) crashErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *proc) addCloser(c io.Closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closers = append(p.closers, c)
}

// stop closes every listener, socket and connection at once, then Done:
// whoever sees Done closed finds the ports closed too, as after a process
// died. It does not wait: it may be called from one of the proc's own
// goroutines.
func (p *proc) stop() {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	closers, conns := p.closers, p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range closers {
		c.Close()
	}
	for c := range conns {
		c.Close()
	}
	close(p.done)
}

// track records an accepted connection so that stop closes it. It reports
// false when the mutant is stopping. Connections already closed are pruned
// now and then, so that churn does not grow the set without bound.
func (p *proc) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return false
	}
	p.conns[c] = struct{}{}
	if len(p.conns) >= p.pruneAt {
		for c := range p.conns {
			if isClosed(c) {
				delete(p.conns, c)
			}
		}
		p.pruneAt = max(1024, 2*len(p.conns))
	}
	return true
}

// isClosed reports whether c's descriptor has been closed.
func isClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}

// trackedListener hands every accepted connection to the proc, so that
// stopping the mutant closes the connections its code leaks or holds.
type trackedListener struct {
	net.Listener
	p *proc
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if !l.p.track(c) {
		c.Close()
		return nil, net.ErrClosed
	}
	return c, nil
}
