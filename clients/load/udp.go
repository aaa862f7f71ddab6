package load

import (
	"bytes"
	"context"
	"net"
	"sync"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// seqDigits is the most header bytes that carry a datagram's sequence
// number, one hex digit each, written as 'a'..'p' (so the server's
// uppercase of it is 'A'..'P', and the transform is exercised there too).
const seqDigits = 8

// udpMsg builds datagrams of socket i and checks replies.
type udpMsg struct {
	e    *engine
	i    int
	size int
	hdr  int    // header bytes: min(size, seqDigits)
	mod  uint64 // sequence numbers are told apart modulo 16^hdr
}

// header writes seq's low hdr hex digits into dst, as base+digit, most
// significant first: base 'a' for a datagram, 'A' for its reply.
func (m *udpMsg) header(dst []byte, seq uint64, base byte) {
	for j := m.hdr - 1; j >= 0; j-- {
		dst[j] = base + byte(seq&15)
		seq >>= 4
	}
}

// replyBase is the first digit of a reply's header: 'A', or 'a' from an
// echo server.
func (m *udpMsg) replyBase() byte {
	if m.e.cfg.Echo {
		return 'a'
	}
	return 'A'
}

// body returns the bytes after datagram seq's header, and their reply.
func (m *udpMsg) body(seq uint64) (send, want []byte) {
	return m.e.pat.at(m.i, int64(seq)*int64(m.size), m.size-m.hdr)
}

// build writes datagram seq into buf[:size].
func (m *udpMsg) build(buf []byte, seq uint64) []byte {
	buf = buf[:m.size]
	m.header(buf, seq, 'a')
	send, _ := m.body(seq)
	copy(buf[m.hdr:], send)
	return buf
}

// seqOf reads the sequence number (modulo mod) from a reply's header.
func (m *udpMsg) seqOf(p []byte) (uint64, bool) {
	if len(p) < m.hdr {
		return 0, false
	}
	var s uint64
	base := m.replyBase()
	for _, c := range p[:m.hdr] {
		if c < base || c > base+15 {
			return 0, false
		}
		s = s<<4 | uint64(c-base)
	}
	return s, true
}

// matches reports whether p is exactly the reply owed for datagram seq.
func (m *udpMsg) matches(p []byte, seq uint64) bool {
	if len(p) != m.size {
		return false
	}
	var hdr [seqDigits]byte
	m.header(hdr[:], seq, m.replyBase())
	_, want := m.body(seq)
	return bytes.Equal(p[:m.hdr], hdr[:m.hdr]) && bytes.Equal(p[m.hdr:], want)
}

// expect returns the whole reply owed for datagram seq, for describing a
// mismatch.
func (m *udpMsg) expect(seq uint64) []byte {
	p := make([]byte, m.size)
	m.header(p, seq, m.replyBase())
	_, want := m.body(seq)
	copy(p[m.hdr:], want)
	return p
}

// udp runs Conns connected sockets, each sending a datagram and waiting up
// to UDPWait for its reply before the next. A reply that does not come in
// time is lost; one that comes later is late. A reply that is not the
// uppercase of a datagram the socket sent, or a second reply to one, is a
// mismatch, and ends the wait.
func (e *engine) udp() {
	var ready, done sync.WaitGroup
	ready.Add(e.cfg.Conns)
	for i := range e.cfg.Conns {
		done.Go(func() {
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.Timeout)
			uc, err := clients.DialUDP(ctx, e.cfg.Addr)
			cancel()
			ready.Done()
			if err != nil {
				e.fail(err)
				return
			}
			e.open.Add(1)
			stop := context.AfterFunc(e.ctx, func() { uc.Conn.SetDeadline(aLongTimeAgo) })
			defer func() {
				stop()
				uc.Close()
				e.open.Add(-1)
			}()
			<-e.started
			e.udpSocket(i, uc.Conn)
		})
	}
	ready.Wait()
	e.begin()
	done.Wait()
	e.finish()
}

// udpSocket is socket i's loop.
func (e *engine) udpSocket(i int, c *net.UDPConn) {
	st := &e.stats[i]
	m := &udpMsg{e: e, i: i, size: e.cfg.Size, hdr: min(e.cfg.Size, seqDigits)}
	m.mod = 1 << (4 * m.hdr)
	out := make([]byte, m.size)
	in := make([]byte, clients.MaxDatagram+1)
	// answered has bit d set when datagram seq-d got its reply, for the
	// last 64: a second reply is a duplicate. Only when the header tells
	// that many datagrams apart.
	var answered uint64
	var b backoff
	for seq := uint64(0); e.claim(); seq++ {
		answered <<= 1
		if err := c.SetWriteDeadline(time.Now().Add(e.cfg.Timeout)); err != nil {
			e.fail(err)
			return
		}
		if _, err := c.Write(m.build(out, seq)); err != nil {
			e.fail(err)
			if !b.wait(e.soft) {
				return
			}
			continue
		}
		st.sent.Add(int64(m.size))
		t0 := time.Now()
		c.SetReadDeadline(t0.Add(e.cfg.UDPWait))
		for {
			n, err := c.Read(in)
			if err != nil {
				if KindOf(err) == Timeout {
					if e.ctx.Err() == nil {
						e.lost.Add(1)
					}
				} else if e.fail(err) && !b.wait(e.soft) {
					return
				}
				break
			}
			p := in[:n]
			s, ok := m.seqOf(p)
			if !ok {
				e.mismatch("udp: socket %d: datagram %d: a reply with no sequence number: %s", i, seq, diff(p, m.expect(seq)))
				break
			}
			// The most recent datagram sent with that header.
			back := (seq - s) & (m.mod - 1)
			if back > seq {
				e.mismatch("udp: socket %d: datagram %d: a reply to a datagram never sent", i, seq)
				break
			}
			if !m.matches(p, seq-back) {
				e.mismatch("udp: socket %d: datagram %d: %s", i, seq-back, diff(p, m.expect(seq-back)))
				break
			}
			if m.mod > 64 && back < 64 {
				if answered&(1<<back) != 0 {
					e.mismatch("udp: socket %d: datagram %d: a second reply", i, seq-back)
					break
				}
				answered |= 1 << back
			}
			if back != 0 {
				e.late.Add(1)
				continue
			}
			e.hist.Record(time.Since(t0))
			st.recv.Add(int64(n))
			st.msgs.Add(1)
			b = 0
			break
		}
	}
}
