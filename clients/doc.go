// Package clients holds upcheck's TCP and UDP clients for uppercase servers,
// and a driver that runs many of them at once.
//
// Every operation that touches the network is bounded: by its ctx's deadline,
// or by DefaultTimeout when ctx has none, and a cancelled ctx wakes an
// operation that is blocked. Reads are capped, so a server that streams
// without end can cost time but never unbounded memory. TCP sockets have
// keep-alive off, as the reference servers do.
//
// TCPConn speaks to a stream server: writes (whole or in chunks), exact
// reads, round trips, half-close, reset and abrupt close, and ReadToEnd and
// Exchange, which read until the stream ends and report how it ended (End)
// in a Result a test can assert on. UDPConn speaks to a datagram server,
// connected or not, with round trips that retry on loss; a Receiver collects
// every datagram arriving on a socket in the background so that a test can
// send a burst and match replies to requests by content. Concurrently runs N
// clients with bounded parallelism and joins their errors, and Payload gives
// each client distinct, recognisable bytes. EndOf, IsTimeout and DescribeErr
// classify and name network errors, the last in words without ports or
// timings that every failure text and harness message uses.
package clients

import "time"

// DefaultTimeout bounds any operation whose ctx has no deadline, so nothing
// can hang.
const DefaultTimeout = 5 * time.Second
