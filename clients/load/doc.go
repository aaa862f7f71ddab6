// Package load drives an uppercase server hard and verifies every reply
// byte while it does: the engine behind upperload, and behind upcheck's
// benchmarks of the reference servers.
//
// A run has a Mode (bulk, reqresp, churn, idle-hold, udp), a number of
// connections, a message size, and bounds: a Duration, a Count of
// messages, or both, and the caller's ctx. Every request byte is cut from a
// fixed pseudo-random pattern (three bytes in four lowercase letters, the
// rest any value 0x00-0xFF) and every reply byte is compared with Upper, an
// oracle written apart from the reference servers' transform. A reply byte
// that differs is a Mismatch: a conformance failure whatever the load.
// (With Echo, for benchmarking a baseline that does no transform, replies
// are compared with the bytes sent instead.) Other failures are counted by
// Kind (reset, timeout, refused, closed,
// other), and the connection is replaced after a pause.
//
// Every socket operation has a deadline (Timeout, refreshed lazily so that
// a busy loop does not reset a timer on every call), reads are capped, and
// ctx's end wakes whatever is blocked at once. TCP connections are made
// with keep-alive off (clients.DialTCP): Go's default keep-alive sends
// probes every 15 s, and on thousands of idle loopback connections they
// come in bursts that overflow the kernel's queues and kill healthy
// connections; the reference servers have it off too, as Python's
// sockets do.
//
// Latencies go into a Histogram: log-linear buckets, within about 3%, in a
// fixed 15 KiB whatever the count, shared by every connection without a
// lock. Throughput counts verified reply bytes, in MB/s of 10^6 bytes as go
// test does.
package load
