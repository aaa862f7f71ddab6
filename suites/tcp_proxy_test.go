package suites

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// The specs below run checks through a fault-injecting proxy in front of the
// target (faultproxy): a network that slices each direction into
// tiny segments, delays them, or resets the connection part-way. TCP is a
// byte stream, so TCP-STREAM and TCP-EOF must hold whatever the network does
// to the segments; and a reset that comes from the network mid-reply, like
// a client's own, must end that connection only (TCP-RESET).

// oneByte slices a direction into 1-byte segments, delay apart.
func oneByte(delay time.Duration) check.StreamFaults {
	return check.StreamFaults{Segment: 1, Delay: delay}
}

// randomSegments slices a direction into segments of 1 to max bytes.
func randomSegments(max int, delay time.Duration) check.StreamFaults {
	return check.StreamFaults{Segment: 1, SegmentMax: max, Delay: delay}
}

var _ = Describe("TCP-STREAM through a network that cuts and delays segments", Label("TCP-STREAM", "tcp", "proxy"), func() {
	seed := GinkgoRandomSeed()
	DescribeTable("the reply stream is upper(the request stream), however the network segments it",
		func(ctx SpecContext, c check.StreamCase, f check.NetFaults) {
			verify("TCP-STREAM", check.TCPStreamThroughProxy(bound(ctx), env(), c, f))
		},
		Entry("4 KiB in 1-byte segments both ways",
			check.StreamCase{Name: "4096 bytes in one write", Payload: clients.Payload(20, 4<<10)},
			check.NetFaults{Up: oneByte(0), Down: oneByte(0)}, within()),
		Entry("1 KiB in 1-byte segments 100µs apart both ways",
			check.StreamCase{Name: "1024 bytes in one write", Payload: clients.Payload(21, 1<<10)},
			check.NetFaults{Up: oneByte(100 * time.Microsecond), Down: oneByte(100 * time.Microsecond)}, within()),
		Entry("1-byte writes into 1-byte segments with 2 ms latency",
			check.StreamCase{Name: "512 1-byte writes, Nagle on", Payload: clients.Payload(22, 512), Chunks: []int{1}},
			check.NetFaults{Up: check.StreamFaults{Segment: 1, Latency: 2 * time.Millisecond}, Down: check.StreamFaults{Segment: 1, Latency: 2 * time.Millisecond}}, within()),
		Entry(fmt.Sprintf("256 KiB in random segments of 1-512 bytes both ways, seed %d", seed),
			check.StreamCase{Name: "256 KiB in random chunks", Payload: clients.Payload(23, 256<<10), Chunks: check.RandomChunks(uint64(seed), 16, 8<<10)},
			check.NetFaults{Seed: seed, Up: randomSegments(512, 0), Down: randomSegments(512, 0)}, within()),
		Entry(fmt.Sprintf("64 KiB in random segments of 1-512 bytes, 50µs apart downward, seed %d", seed+1),
			check.StreamCase{Name: "64 KiB in one write", Payload: clients.Payload(24, 64<<10)},
			check.NetFaults{Seed: seed + 1, Up: randomSegments(512, 0), Down: randomSegments(512, 50*time.Microsecond)}, within()),
	)
})

var _ = Describe("TCP-EOF through a network that cuts and delays segments", Label("TCP-EOF", "tcp", "proxy"), func() {
	seed := GinkgoRandomSeed()
	DescribeTable("the half-close follows the last request byte, and EOF the last reply byte",
		func(ctx SpecContext, name string, payload []byte, f check.NetFaults) {
			verify("TCP-EOF", check.TCPEOFThroughProxy(bound(ctx), env(), name, payload, f))
		},
		Entry("write then half-close, 1-byte segments 100µs apart both ways", "write then half-close at once", []byte("hello, world"),
			check.NetFaults{Up: oneByte(100 * time.Microsecond), Down: oneByte(100 * time.Microsecond)}, within()),
		Entry("half-close with nothing sent, 5 ms latency both ways", "half-close with nothing sent", nil,
			check.NetFaults{Up: check.StreamFaults{Latency: 5 * time.Millisecond}, Down: check.StreamFaults{Latency: 5 * time.Millisecond}}, within()),
		Entry("4 KiB then half-close, 1-byte segments both ways", "half-close after a 4 KiB write", clients.Payload(25, 4<<10),
			check.NetFaults{Up: oneByte(0), Down: oneByte(0)}, within()),
		Entry(fmt.Sprintf("64 KiB then half-close, random segments of 1-512 bytes both ways, seed %d", seed), "half-close after a 64 KiB write", clients.Payload(26, 64<<10),
			check.NetFaults{Seed: seed, Up: randomSegments(512, 0), Down: randomSegments(512, 0)}, within()),
	)
})

var _ = Describe("TCP-RESET from the network, mid-request and mid-reply", Label("TCP-RESET", "tcp", "proxy"), func() {
	reset := func(at int64) check.StreamFaults { return check.StreamFaults{Reset: true, ResetAt: at} }
	DescribeTable("the client gets a prefix of its reply, then the reset; a bystander and a new connection are served",
		func(ctx SpecContext, name string, payload []byte, f check.NetFaults) {
			verify("TCP-RESET", check.TCPResetThroughProxy(bound(ctx), env(), name, payload, f))
		},
		Entry("reset as the connection opens", "reset at once", clients.Payload(30, 100),
			check.NetFaults{Down: reset(0)}, within()),
		Entry("reset after the first reply byte", "4 KiB request", clients.Payload(31, 4<<10),
			check.NetFaults{Down: check.StreamFaults{Segment: 1, Reset: true, ResetAt: 1}}, within()),
		Entry("reset after 1000 bytes of a 1 MiB reply", "1 MiB request", clients.Payload(32, 1<<20),
			check.NetFaults{Down: reset(1000)}, within()),
		Entry("reset after 100000 bytes of a 1 MiB reply in random segments", "1 MiB request", clients.Payload(33, 1<<20),
			check.NetFaults{Seed: 7, Down: check.StreamFaults{Segment: 1, SegmentMax: 4096, Reset: true, ResetAt: 100000}}, within()),
		Entry("reset after 1000 bytes of the request, mid-reply", "64 KiB request", clients.Payload(34, 64<<10),
			check.NetFaults{Up: reset(1000)}, within()),
	)
})
