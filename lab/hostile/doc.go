// Package hostile holds servers that misbehave on purpose: a TCP server that
// never accepts, one whose backlog is full, one that accepts and never
// answers, one that answers with an endless stream (fast, or a byte at a
// time), one that never closes after the client's EOF, one that answers with
// garbage, one that closes or resets every connection at once, one that dies
// or hangs after a number of connections; a UDP server that answers every
// datagram with a flood, and one that never answers.
//
// They exist to test the harness, not servers: whatever a server does, every
// check must end within its timeout with a failure that names the right
// requirement, read no more than its cap, and leave nothing running. The
// package's tests run upcheck's checks against each of them; command
// hostiled serves them as a server command, so that the whole suite can be
// run against them.
//
// Like httptest, every server listens on 127.0.0.1 with a port picked by the
// kernel, and Close ends everything it started before it returns.
package hostile
