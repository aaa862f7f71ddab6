// Package faultproxy is a TCP proxy that injects faults into the byte streams
// it relays, so that tests can show a server keeps its stream semantics when
// the network misbehaves. It is shaped like net/http/httptest: New listens on
// 127.0.0.1 (::1 for an IPv6 upstream) with an ephemeral port before it
// returns, Addr says where to dial, and Close stops everything and waits for
// every goroutine.
//
// Each direction of a connection, Up (client to server) and Down (server to
// client), has its own Faults: it can be sliced into segments of a fixed or
// random size with a delay between them, held back by a latency before its
// first byte, reset after a chosen number of bytes, or stalled after a chosen
// number of bytes.
//
// Unlike general-purpose fault proxies, faultproxy passes a half-close
// through: when one side shuts down its writing half, the proxy shuts down
// the writing half toward the other side and keeps relaying the opposite
// direction until it ends too. A reset seen on one side is passed on as a
// reset to the other. TCP_NODELAY is set on both sides, so each segment is
// written to the network as it is sliced.
//
// Every random choice comes from math/rand/v2 generators seeded from
// Config.Seed, the connection's index and the direction, so a run with the
// same seed and the same traffic makes the same choices and can be replayed.
//
// UDPProxy is its twin for datagrams (NewUDP): it drops, duplicates,
// reorders and delays datagrams in each direction (UDPFaults), each
// datagram's fate drawn from UDPConfig.Seed, its direction, its payload and
// how often that payload went that way before, and reports each fault it
// injects as a UDPEvent. Each client socket gets a relay socket of its own
// toward the server, so the server sees a source per client socket; what
// the server sends from another address than its own reaches the client
// from the proxy's other address, so a client still sees where a reply
// came from.
package faultproxy
