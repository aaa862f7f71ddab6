// Package hostile tests the harness against the hostile servers of
// lab/mutants: a TCP server that never accepts, one whose backlog is full,
// one that accepts and never answers, one that answers with an endless
// stream (fast, or a byte at a time), one that never closes after the
// client's EOF, one that answers with garbage, one that closes or resets
// every connection at once, one that dies, hangs or stops reading after a
// number of connections; a UDP server that answers every datagram with a
// flood, one that never answers, and one that stops answering after its
// first datagram.
//
// They break no single requirement: they are there to show that whatever a
// server does, every check ends within its timeout with a failure that
// names the right requirement, reads no more than its cap, and leaves
// nothing running. The package's tests run upcheck's checks against each
// of them in process, and the whole suite, as a process, against some of
// them served by command mutantd. The package has no code of its own.
package hostile
