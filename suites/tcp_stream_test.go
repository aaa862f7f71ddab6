package suites

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// TCP-STREAM: TCP is a byte stream. However the client cuts its writes and
// however the network segments them, the whole reply stream is
// upper(the whole request stream), in order. The client reads while it
// writes, so a server that answers as it reads never blocks on full buffers.
var _ = Describe("TCP-STREAM", Label("TCP-STREAM", "tcp"), func() {
	stream := func(ctx SpecContext, c check.StreamCase) {
		verify("TCP-STREAM", check.TCPStream(bound(ctx), env(), c))
	}
	seed := uint64(GinkgoRandomSeed())
	random := func(name string, n, size, maxChunk int, s uint64) TableEntry {
		c := check.StreamCase{
			Name:    fmt.Sprintf("%s, seed %d", name, s),
			Payload: clients.Payload(n, size),
			Chunks:  check.RandomChunks(s, 64, maxChunk),
		}
		return Entry(c.Name, c, within(), Offset(1))
	}

	DescribeTable("the reply stream is upper(the request stream), whatever the writes", stream,
		Entry("1-byte writes, Nagle off", check.StreamCase{Name: "4096 1-byte writes, Nagle off", Payload: clients.Payload(0, 4096), Chunks: []int{1}, NoDelay: true}, within()),
		Entry("1-byte writes, Nagle on", check.StreamCase{Name: "4096 1-byte writes, Nagle on", Payload: clients.Payload(1, 4096), Chunks: []int{1}}, within()),
		random("random chunks of 1-16 bytes", 2, 16<<10, 16, seed),
		random("random chunks of 1-1500 bytes", 3, 256<<10, 1500, seed+1),
		random("random chunks of 1-64 KiB", 4, 2<<20, 64<<10, seed+2),
		Entry("1 MiB in one write, read while writing", check.StreamCase{Name: "1 MiB in one write", Payload: clients.Payload(5, 1<<20)}, within()),
		Entry("8 MiB in 64 KiB writes, read while writing", check.StreamCase{Name: "8 MiB in 64 KiB writes", Payload: clients.Payload(6, 8<<20), Chunks: []int{64 << 10}}, within()),
		Entry("2000 small writes coalesced by Nagle", check.StreamCase{Name: "2000 7-byte writes, Nagle on", Payload: bytes.Repeat([]byte("hello, "), 2000), Chunks: []int{7}}, within()),
		Entry("2000 small writes with Nagle off", check.StreamCase{Name: "2000 7-byte writes, Nagle off", Payload: bytes.Repeat([]byte("hello, "), 2000), Chunks: []int{7}, NoDelay: true}, within()),
		Entry("small writes with pauses, each its own segment", check.StreamCase{Name: "50 20-byte writes 2 ms apart", Payload: clients.Payload(7, 1000), Chunks: []int{20}, Pause: 2 * time.Millisecond, NoDelay: true}, within()),
	)
})
