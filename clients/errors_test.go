package clients_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/upcheck/upcheck/clients"
)

// timeoutErr is a net.Error that says it timed out, as a resolver's does.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsTimeout(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{os.ErrDeadlineExceeded, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), true},
		{timeoutErr{}, true},
		{context.Canceled, false},
		{io.EOF, false},
		{syscall.ECONNRESET, false},
	} {
		if got := clients.IsTimeout(tt.err); got != tt.want {
			t.Errorf("IsTimeout(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestDescribeErr pins the words every failure text and harness message
// uses for a network error.
func TestDescribeErr(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40123}
	peer := &net.TCPAddr{IP: net.IPv6loopback, Port: 9000}
	op := func(name string, err error) error {
		return &net.OpError{Op: name, Net: "tcp", Source: addr, Addr: peer, Err: err}
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, "no error"},
		{io.EOF, "EOF"},
		{fmt.Errorf("reading: %w", io.EOF), "EOF"},
		{op("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED)), "connection refused"},
		{op("read", os.NewSyscallError("read", syscall.ECONNRESET)), "connection reset"},
		{op("write", os.NewSyscallError("write", syscall.EPIPE)), "broken pipe"},
		{op("read", os.ErrDeadlineExceeded), "timeout"},
		{context.DeadlineExceeded, "timeout"},
		// A socket timeout that a cancelled ctx caused is still a timeout.
		{fmt.Errorf("%w (%w)", os.ErrDeadlineExceeded, context.Canceled), "timeout"},
		{context.Canceled, "cancelled"},
		{op("read", net.ErrClosed), "connection closed"},
		{&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, "no such host"},
		{op("dial", &net.DNSError{Err: "server misbehaving", Name: "nowhere.invalid"}), "server misbehaving"},
		{op("shutdown", os.NewSyscallError("shutdown", syscall.ENOTCONN)),
			"shutdown tcp ADDR->ADDR: shutdown: transport endpoint is not connected"},
		{errors.New("other at 10.0.0.7:53"), "other at ADDR"},
		{errors.New("other at [::1]:8080"), "other at ADDR"},
	} {
		if got := clients.DescribeErr(tt.err); got != tt.want {
			t.Errorf("DescribeErr(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestEndOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want clients.End
	}{
		{io.EOF, clients.EndEOF},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, clients.EndReset},
		{&net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, clients.EndReset},
		{os.ErrDeadlineExceeded, clients.EndTimeout},
		{context.Canceled, clients.EndTimeout},
		{context.DeadlineExceeded, clients.EndTimeout},
		{errors.New("other"), clients.EndError},
		{nil, clients.EndError},
	} {
		if got := clients.EndOf(tt.err); got != tt.want {
			t.Errorf("EndOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	names := map[clients.End]string{clients.EndEOF: "EOF", clients.EndReset: "reset",
		clients.EndTimeout: "timeout", clients.EndLimit: "limit", clients.EndError: "error", 9: "End(9)"}
	for e, want := range names {
		if e.String() != want {
			t.Errorf("End(%d).String() = %q, want %q", int(e), e.String(), want)
		}
	}
}
