//go:build !linux

package mutants

import (
	"errors"
	"net"
)

// listenBacklogOne needs Linux's reading of a backlog of 0.
func listenBacklogOne(addr string) (net.Listener, error) {
	return nil, errors.New("a listener with a backlog of one needs Linux")
}
