// Package servers holds upcheck's reference servers: a TCP and a UDP server
// that answer with the ASCII uppercase of what they receive, with exactly the
// semantics of the seed's Python socketserver lesson (recv(1024), bytes.upper(),
// a handler per connection, close on an empty read, quiet end on a reset; one
// sendto(data.upper(), client_address) per datagram, read with
// max_packet_size 8192). SEMANTICS.md states every rule they keep.
//
// Both servers are shaped like net/http.Server: usable as their zero value,
// configured through exported fields, with Serve, ListenAndServe, Shutdown and
// Close, and ErrServerClosed once they are shut down.
package servers

import (
	"errors"
	"io"
	"log/slog"
)

// ErrServerClosed is returned by Serve and ListenAndServe after a call to
// Shutdown or Close, as net/http.ErrServerClosed is.
var ErrServerClosed = errors.New("servers: server closed")

// The seed's defaults.
const (
	// DefaultAddr is the seed's address, 127.0.0.1:8080.
	DefaultAddr = "127.0.0.1:8080"
	// DefaultReadSize is the seed handler's recv(1024).
	DefaultReadSize = 1024
	// DefaultMaxDatagram is socketserver.UDPServer.max_packet_size.
	DefaultMaxDatagram = 8192
)

// discardLogger is used when a server has no Logger.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discardLogger
	}
	return l
}
