package perf

import (
	"errors"
	"net"
	"sync"

	"github.com/upcheck/upcheck/servers"
)

// PlainEcho is the TCP baseline: a goroutine per connection that reads up to
// ReadSize bytes and writes them back unchanged, with nothing else: no
// transform, no deadline, no bookkeeping beyond what Close needs. Its
// sockets have keep-alive off, as the reference's have.
type PlainEcho struct {
	// ReadSize is the buffer size; 0 means the reference's
	// servers.DefaultReadSize.
	ReadSize int

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// StartPlainEcho listens on 127.0.0.1:0 and serves in the background.
func StartPlainEcho(readSize int) (*PlainEcho, error) {
	ln, err := servers.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &PlainEcho{ReadSize: readSize, ln: ln, conns: map[net.Conn]struct{}{}}
	if e.ReadSize == 0 {
		e.ReadSize = servers.DefaultReadSize
	}
	e.wg.Go(e.accept)
	return e, nil
}

// Addr is the listening address.
func (e *PlainEcho) Addr() string { return e.ln.Addr().String() }

func (e *PlainEcho) accept() {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.done {
			e.mu.Unlock()
			c.Close()
			return
		}
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		e.wg.Go(func() {
			e.serve(c)
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		})
	}
}

// serve is the plain loop: read, write back.
func (e *PlainEcho) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, e.ReadSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops accepting, closes every connection and waits for every
// goroutine.
func (e *PlainEcho) Close() error {
	e.mu.Lock()
	e.done = true
	err := e.ln.Close()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
	return err
}

// UDPEcho is the UDP baseline: one goroutine that reads a datagram (up to
// servers.DefaultMaxDatagram bytes) and sends it back to its source
// unchanged.
type UDPEcho struct {
	pc net.PacketConn
	wg sync.WaitGroup
}

// StartUDPEcho listens on 127.0.0.1:0 and serves in the background.
func StartUDPEcho() (*UDPEcho, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &UDPEcho{pc: pc}
	e.wg.Go(func() {
		buf := make([]byte, servers.DefaultMaxDatagram)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // an ICMP error from an earlier reply
			}
			pc.WriteTo(buf[:n], from)
		}
	})
	return e, nil
}

// Addr is the listening address.
func (e *UDPEcho) Addr() string { return e.pc.LocalAddr().String() }

// Close closes the socket and waits for the goroutine.
func (e *UDPEcho) Close() error {
	err := e.pc.Close()
	e.wg.Wait()
	return err
}
