//go:build unix

package perf

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients/load"
)

// Each benchmark runs the load engine with Count b.N against the reference
// and against its baseline, in this process, and reports the engine's own
// figures (measured from the moment every connection is open) as custom
// metrics: benchstat -col /server shows the reference beside the baseline.
// cpu-ns/op is the CPU time of the whole process (client and server) per
// message: on a busy machine it varies far less than the wall-clock
// figures, and what the reference costs more than the baseline shows in it.

// bulkChunk is what a bulk connection writes at once.
const bulkChunk = 16 << 10

// BenchmarkTCPBulk: each connection writes 16 KiB chunks while it reads
// and verifies the replies. One op is one chunk; MB/s counts chunk bytes.
func BenchmarkTCPBulk(b *testing.B) {
	for _, conns := range []int{1, 8, 64} {
		for _, name := range []string{plainEcho, reference} {
			b.Run(fmt.Sprintf("conns=%d/server=%s", conns, name), func(b *testing.B) {
				s := start(b, name)
				b.SetBytes(bulkChunk)
				b.ResetTimer()
				res := measure(b, s, load.Config{Mode: load.Bulk, Conns: conns, Size: bulkChunk, Count: int64(b.N)})
				b.StopTimer()
				b.ReportMetric(res.MBps, "verified-MB/s")
			})
		}
	}
}

// BenchmarkTCPReqResp: 64-byte round trips, one outstanding per
// connection. One op is one round trip.
func BenchmarkTCPReqResp(b *testing.B) {
	for _, conns := range []int{1, 16, 256} {
		for _, name := range []string{plainEcho, reference} {
			b.Run(fmt.Sprintf("conns=%d/server=%s", conns, name), func(b *testing.B) {
				s := start(b, name)
				b.ResetTimer()
				res := measure(b, s, load.Config{Mode: load.ReqResp, Conns: conns, Size: 64, Count: int64(b.N)})
				b.StopTimer()
				reportLatency(b, res)
			})
		}
	}
}

// BenchmarkUDP: round trips of one datagram at a time per socket. A reply
// not back within 200 ms is lost, counted in loss-%.
func BenchmarkUDP(b *testing.B) {
	for _, size := range []int{64, 1400} {
		for _, sockets := range []int{1, 16} {
			for _, name := range []string{udpEcho, reference} {
				b.Run(fmt.Sprintf("size=%d/sockets=%d/server=%s", size, sockets, name), func(b *testing.B) {
					s := start(b, name)
					b.SetBytes(int64(size))
					b.ResetTimer()
					res := measure(b, s, load.Config{Mode: load.UDP, Conns: sockets, Size: size, Count: int64(b.N), UDPWait: 200 * time.Millisecond})
					b.StopTimer()
					reportLatency(b, res)
					b.ReportMetric(100*float64(res.Lost)/float64(max(res.Messages+res.Lost, 1)), "loss-%")
				})
			}
		}
	}
}

// BenchmarkTCPChurn: whole connections (connect, write 64 bytes,
// half-close, read to EOF, close), conns at a time. One op is one
// connection.
func BenchmarkTCPChurn(b *testing.B) {
	for _, conns := range []int{1, 8} {
		for _, name := range []string{plainEcho, reference} {
			b.Run(fmt.Sprintf("conns=%d/server=%s", conns, name), func(b *testing.B) {
				s := start(b, name)
				b.ResetTimer()
				res := measure(b, s, load.Config{Mode: load.Churn, Conns: conns, Size: 64, Count: int64(b.N)})
				b.StopTimer()
				b.ReportMetric(res.MsgPerSec, "conns/s")
				b.ReportMetric(float64(res.Latency.P50.Nanoseconds())/1e3, "p50-us")
				b.ReportMetric(float64(res.Latency.P99.Nanoseconds())/1e3, "p99-us")
			})
		}
	}
}

// measure runs cfg against s (see run) and reports the process's CPU time
// per message.
func measure(b *testing.B, s server, cfg load.Config) load.Result {
	before := cpuTime()
	res := run(b, s, cfg)
	if res.Messages > 0 {
		b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(res.Messages), "cpu-ns/op")
	}
	return res
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLatency reports round trips per second and the p50 and p99
// latencies.
func reportLatency(b *testing.B, res load.Result) {
	b.ReportMetric(res.MsgPerSec, "rtt/s")
	b.ReportMetric(float64(res.Latency.P50.Nanoseconds())/1e3, "p50-us")
	b.ReportMetric(float64(res.Latency.P99.Nanoseconds())/1e3, "p99-us")
}
