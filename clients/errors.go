package clients

import (
	"context"
	"errors"
	"github.com/upcheck/upcheck/internal/neterr"
	"io"
	"net"
	"regexp"
	"syscall"
)

// IsTimeout reports whether err is a deadline passing: a socket's
// (os.ErrDeadlineExceeded), a ctx's (context.DeadlineExceeded), or any
// net.Error that says it timed out.
func IsTimeout(err error) bool { return neterr.IsTimeout(err) }

// isRefused reports whether err is an ICMP port unreachable reported on a
// connected UDP socket.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// EndOf classifies the error that ended a read (or a write) on a stream:
// io.EOF is EndEOF; ECONNRESET and EPIPE are EndReset; a deadline passing or
// a ctx ending is EndTimeout; anything else, including nil, is EndError. It
// never returns EndLimit, which only a capped read decides.
func EndOf(err error) End {
	switch {
	case err == nil:
		return EndError
	case errors.Is(err, io.EOF):
		return EndEOF
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return EndReset
	case IsTimeout(err), errors.Is(err, context.Canceled):
		return EndTimeout
	}
	return EndError
}

// addrPattern matches an IPv4 or bracketed IPv6 address with its port.
var addrPattern = regexp.MustCompile(`(\[[0-9a-fA-F:.]+\]|[0-9]+(\.[0-9]+){3}):[0-9]+`)

// DescribeErr names a network error in a few words, without ports or
// timings, so that failure text built on it is the same on every run: "no
// error" (nil), "EOF", "connection refused", "connection reset", "broken
// pipe", "timeout", "cancelled", "connection closed" (used after a local
// Close), "no such host" (or the resolver's own failure), and otherwise the
// error's text with every IP address and port replaced by "ADDR".
func DescribeErr(err error) string {
	var dns *net.DNSError
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case IsTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host"
		}
		return dns.Err
	}
	return addrPattern.ReplaceAllString(err.Error(), "ADDR")
}
