// Package neterr classifies network errors for the packages above it: the
// reference servers and the clients share its one test of a timeout.
package neterr

import (
	"context"
	"errors"
	"net"
	"os"
)

// IsTimeout reports whether err is a deadline that passed: a socket's
// (os.ErrDeadlineExceeded, or any net.Error that says Timeout) or a
// context's.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
