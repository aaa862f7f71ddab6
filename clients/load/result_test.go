package load_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/upcheck/upcheck/clients/load"
)

func TestKindOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want load.Kind
	}{
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, load.Reset},
		{os.NewSyscallError("write", syscall.EPIPE), load.Reset},
		{syscall.ECONNABORTED, load.Reset},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, load.Timeout},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), load.Timeout},
		{os.NewSyscallError("connect", syscall.ECONNREFUSED), load.Refused},
		{io.EOF, load.Closed},
		{io.ErrUnexpectedEOF, load.Closed},
		{errors.New("other"), load.Other},
	} {
		if got := load.KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
