package target

import (
	"os"
	"syscall"
	"testing"
)

// TestReason pins the words of harness messages: the protocol and the UDP
// probe's silence are the target's own, every other error is named by
// clients.DescribeErr.
func TestReason(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, "no error"},
		{errNoReply{}, "no reply"},
		{errNoReply{5}, "no reply to 5 datagrams"},
		{protoErr{"udp", errNoReply{}}, "udp: no reply"},
		{protoErr{"tcp", os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "tcp: connection refused"},
		{errSelfConnect, "connection refused"},
		{os.NewSyscallError("read", syscall.ECONNRESET), "connection reset"},
		{os.ErrDeadlineExceeded, "timeout"},
	} {
		if got := reason(tt.err); got != tt.want {
			t.Errorf("reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
