package clients

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// MaxDatagram is the buffer size RoundTrip reads replies with: the largest
// UDP payload, so that no reply is ever cut short on the client's side.
const MaxDatagram = 65535

// maxExtra bounds how many non-matching datagrams RoundTrip keeps.
const maxExtra = 1024

// ErrNoReply is wrapped by RoundTrip's error when no matching datagram
// arrived in any try.
var ErrNoReply = errors.New("clients: no reply")

// UDPConn is a UDP client socket on loopback (127.0.0.1, or ::1 for an IPv6
// server), connected or not.
//
// Send may be called from several goroutines at once. Recv and RoundTrip
// read: one at a time (they take turns), and never while a Receiver reads
// the same socket.
type UDPConn struct {
	Conn *net.UDPConn
	// Remote is the server address: the connected peer, or where Send sends.
	Remote netip.AddrPort

	mu  sync.Mutex // held by the one reader
	buf []byte     // read buffer, under mu
}

// DialUDP returns a connected UDP socket (the kernel filters replies to
// those from addr). On Linux a connected socket also learns of an ICMP port
// unreachable: the next read fails with ECONNREFUSED, so a missing server is
// seen at once rather than as a timeout.
func DialUDP(ctx context.Context, addr string) (*UDPConn, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	uc := nc.(*net.UDPConn)
	return &UDPConn{Conn: uc, Remote: unmap(uc.RemoteAddr().(*net.UDPAddr).AddrPort())}, nil
}

// ListenUDP returns an unconnected socket that sends to addr and reports
// each reply's source. When addr is on IPv4 loopback the socket is on the
// same address, port 0 (127.0.0.2:0 for 127.0.0.2:9000), so that a run
// against a server on its own loopback address receives nothing that
// other programs on the host send to 127.0.0.1, such as probes of a port
// a dead server of theirs left free; when addr is IPv6 the socket is on
// [::1]:0, and when addr is not a loopback address it is on every
// interface, so that it can reach it. Resolving a host name is bounded by
// DefaultTimeout.
func ListenUDP(addr string) (*UDPConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	remote, err := resolveUDP(ctx, addr)
	if err != nil {
		return nil, err
	}
	network, local := "udp4", remote.Addr()
	if remote.Addr().Is6() {
		network, local = "udp6", netip.IPv6Loopback()
	}
	laddr := &net.UDPAddr{}
	if remote.Addr().IsLoopback() {
		laddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0))
	}
	uc, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &UDPConn{Conn: uc, Remote: remote}, nil
}

// resolveUDP turns host:port into an address, preferring IPv4; an empty host
// is 127.0.0.1.
func resolveUDP(ctx context.Context, addr string) (netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		p, lerr := net.DefaultResolver.LookupPort(ctx, "udp", portStr)
		if lerr != nil {
			return netip.AddrPort{}, lerr
		}
		port = uint64(p)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	best := ips[0].Unmap()
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			best = ip.Unmap()
			break
		}
	}
	return netip.AddrPortFrom(best, uint16(port)), nil
}

// unmap returns ap with an IPv4-mapped IPv6 address turned into IPv4.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Datagram is one received datagram.
type Datagram struct {
	Data      []byte         // the payload (at most the read buffer), owned by the caller
	From      netip.AddrPort // the source address, IPv4 unmapped
	Truncated bool           // larger than the read buffer (MSG_TRUNC)
}

// Connected reports whether c's socket is connected, as DialUDP's are.
func (c *UDPConn) Connected() bool { return c.Conn.RemoteAddr() != nil }

// Send sends p as one datagram to Remote, without waiting for anything. It
// is bounded by DefaultTimeout, though a UDP send rarely blocks.
func (c *UDPConn) Send(p []byte) error {
	c.Conn.SetWriteDeadline(time.Now().Add(DefaultTimeout))
	var err error
	if c.Connected() {
		_, err = c.Conn.Write(p)
	} else {
		_, err = c.Conn.WriteToUDPAddrPort(p, c.Remote)
	}
	return err
}

// Recv waits for one datagram, reading with a buffer of size bufSize (< 0
// counts as 0). A longer datagram comes back cut to bufSize bytes with
// Truncated set.
func (c *UDPConn) Recv(ctx context.Context, bufSize int) (Datagram, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	bufSize = max(bufSize, 0)
	if len(c.buf) < bufSize+1 {
		c.buf = make([]byte, bufSize+1)
	}
	stop := watch(ctx, c.Conn.SetReadDeadline)
	defer stop()
	d, err := readDatagram(c.Conn, c.buf[:bufSize+1])
	return d, withCancel(ctx, err)
}

// readDatagram reads one datagram into buf, whose last byte only serves to
// detect truncation, and returns a copy of it.
func readDatagram(conn *net.UDPConn, buf []byte) (Datagram, error) {
	n, from, err := conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return Datagram{}, err
	}
	size := len(buf) - 1
	return Datagram{
		Data:      bytes.Clone(buf[:min(n, size)]),
		From:      unmap(from),
		Truncated: n > size,
	}, nil
}

// RoundTrip sends p and waits up to each try's share of ctx for a datagram
// for which match returns true (nil match = any datagram), resending up to
// tries times; non-matching datagrams received meanwhile are returned in extra.
//
// tries < 1 counts as 1. Each try gets an equal share of what is left of
// ctx's deadline (or of DefaultTimeout). Replies are read with a buffer of
// MaxDatagram bytes; extra keeps at most 1024 datagrams. An ICMP port
// unreachable (ECONNREFUSED on a connected socket) ends a try at once. When
// every try fails the error wraps ErrNoReply and says why the last try
// ended, without addresses, so that the text is the same on every run:
// "clients: no reply after 3 tries: i/o timeout" or "...: connection refused".
func (c *UDPConn) RoundTrip(ctx context.Context, p []byte, tries int, match func(Datagram) bool) (reply Datagram, extra []Datagram, err error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	tries = max(tries, 1)
	var last error
	sent := 0
	for t := 0; t < tries && ctx.Err() == nil; t++ {
		dl, _ := ctx.Deadline()
		share := time.Until(dl) / time.Duration(tries-t)
		sent++
		if err := c.Send(p); err != nil {
			if !isRefused(err) {
				return Datagram{}, extra, err
			}
			// An ICMP error left over from an earlier send: this datagram
			// was not sent, so try again.
			last = err
			continue
		}
		tctx, tcancel := context.WithTimeout(ctx, share)
		for {
			d, err := c.Recv(tctx, MaxDatagram)
			if err != nil {
				last = err
				break
			}
			if match == nil || match(d) {
				tcancel()
				return d, extra, nil
			}
			if len(extra) < maxExtra {
				extra = append(extra, d)
			}
		}
		tcancel()
		if !IsTimeout(last) && !isRefused(last) {
			return Datagram{}, extra, withCancel(ctx, last)
		}
	}
	var why error = os.ErrDeadlineExceeded
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		why = context.Canceled
	case isRefused(last):
		why = syscall.ECONNREFUSED
	}
	tried := "tries"
	if sent == 1 {
		tried = "try"
	}
	return Datagram{}, extra, fmt.Errorf("%w after %d %s: %w", ErrNoReply, sent, tried, why)
}

// Close closes the socket.
func (c *UDPConn) Close() error {
	return c.Conn.Close()
}
