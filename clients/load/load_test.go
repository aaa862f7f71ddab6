package load_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients/load"
	"github.com/upcheck/upcheck/internal/slow"
)

// run runs cfg and fails the test on a Config error.
func run(t *testing.T, ctx context.Context, cfg load.Config) load.Result {
	t.Helper()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%s: %d msgs, %d bytes in %v; latency %+v; errors %v; lost %d late %d held %d died %d",
		res.Mode, res.Messages, res.BytesReceived, res.Elapsed, res.Latency, res.Errors, res.Lost, res.Late, res.Held, res.Died)
	return res
}

// wantClean fails the test unless res has no failure of any kind.
func wantClean(t *testing.T, res load.Result) {
	t.Helper()
	if n := res.Errors.Total(); n != 0 || res.FirstMismatch != "" {
		t.Fatalf("errors %v (first mismatch %q), want none", res.Errors, res.FirstMismatch)
	}
	if res.Interrupted {
		t.Fatal("run says it was interrupted")
	}
}

func TestReferenceEveryTCPMode(t *testing.T) {
	srv := startReference(t)
	for _, tc := range []struct {
		mode  load.Mode
		conns int
		size  int
		count int64
	}{
		{load.Bulk, 4, 16 << 10, 100},
		{load.Bulk, 3, 1, 3000},         // one byte at a time
		{load.Bulk, 2, 70_000, 20},      // chunks longer than the read buffer
		{load.ReqResp, 8, 64, 2000},     //
		{load.ReqResp, 2, 4096, 200},    // replies in several reads
		{load.Churn, 4, 64, 200},        //
		{load.Churn, 2, 100_000, 10},    // more than the server reads at once
		{load.IdleHold, 50, 64, 2},      // two check rounds
		{load.IdleHold, 5, 3000, 1},     //
		{load.ReqResp, 1, 1, 500},       // the smallest message
		{load.Churn, 1, 1, 50},          //
		{load.Bulk, 1, 1 << 20, 4},      // the largest chunk
		{load.ReqResp, 3, 64 << 10, 20}, //
	} {
		t.Run(fmt.Sprintf("%s/conns=%d/size=%d", tc.mode, tc.conns, tc.size), func(t *testing.T) {
			res := run(t, testContext(t), load.Config{
				Mode: tc.mode, Addr: srv.TCPAddr, Conns: tc.conns, Size: tc.size, Count: tc.count,
				Interval: time.Millisecond,
			})
			wantClean(t, res)
			want := tc.count
			if tc.mode == load.IdleHold {
				// Count is check rounds: one round trip per connection at
				// the open, and one per round.
				want = int64(tc.conns) * (tc.count + 1)
				if res.Held != int64(tc.conns) || res.Died != 0 {
					t.Fatalf("held %d, died %d; want %d held", res.Held, res.Died, tc.conns)
				}
			}
			if res.Messages != want {
				t.Fatalf("%d messages, want %d", res.Messages, want)
			}
			if wantBytes := want * int64(tc.size); res.BytesReceived != wantBytes || res.BytesSent != wantBytes {
				t.Fatalf("sent %d, received %d bytes; want %d each", res.BytesSent, res.BytesReceived, wantBytes)
			}
			if res.Latency.Count != want || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
				t.Fatalf("latency %+v: want %d ordered, positive quantiles", res.Latency, want)
			}
			if res.MBps <= 0 || res.MsgPerSec <= 0 {
				t.Fatalf("throughput %v MB/s, %v msg/s: want both positive", res.MBps, res.MsgPerSec)
			}
		})
	}
}

func TestReferenceUDP(t *testing.T) {
	srv := startReference(t)
	for _, size := range []int{1, 7, 8, 64, 1400, 8192} {
		res := run(t, testContext(t), load.Config{Mode: load.UDP, Addr: srv.UDPAddr, Conns: 4, Size: size, Count: 400})
		if res.Errors.Total() != 0 {
			t.Fatalf("size %d: errors %v (%s), want none", size, res.Errors, res.FirstMismatch)
		}
		// Loopback may lose a datagram: every one is answered or lost.
		if res.Messages+res.Lost != 400 || res.Messages == 0 {
			t.Fatalf("size %d: %d answered + %d lost, want 400 in all", size, res.Messages, res.Lost)
		}
	}
}

func TestDurationBoundsARun(t *testing.T) {
	srv := startReference(t)
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn, load.IdleHold, load.UDP} {
		addr := srv.TCPAddr
		if mode == load.UDP {
			addr = srv.UDPAddr
		}
		var ticks atomic.Int64
		res := run(t, testContext(t), load.Config{
			Mode: mode, Addr: addr, Conns: 2, Duration: 300 * time.Millisecond,
			Interval: 50 * time.Millisecond, ProgressEvery: 50 * time.Millisecond,
			Progress: func(s load.Snapshot) {
				if s.Open < 0 || s.Elapsed <= 0 {
					t.Errorf("progress %+v", s)
				}
				ticks.Add(1)
			},
		})
		wantClean(t, res)
		if res.Messages == 0 || res.Elapsed < 300*time.Millisecond {
			t.Fatalf("%s: %d messages in %v: want some, in at least the duration", mode, res.Messages, res.Elapsed)
		}
		if ticks.Load() == 0 {
			t.Fatalf("%s: Progress never called", mode)
		}
	}
}

func TestRateCapsMessages(t *testing.T) {
	srv := startReference(t)
	// 40 messages at 200/s take at least 195 ms: the first goes at once.
	res := run(t, testContext(t), load.Config{Mode: load.ReqResp, Addr: srv.TCPAddr, Conns: 4, Count: 40, Rate: 200})
	wantClean(t, res)
	if res.Messages != 40 || res.Elapsed < 190*time.Millisecond {
		t.Fatalf("%d messages in %v at 200/s: want 40 in at least 195ms", res.Messages, res.Elapsed)
	}
}

func TestInterruptReturnsSoFar(t *testing.T) {
	srv := startReference(t)
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn, load.IdleHold, load.UDP} {
		addr := srv.TCPAddr
		if mode == load.UDP {
			addr = srv.UDPAddr
		}
		ctx, cancel := context.WithCancel(testContext(t))
		res := run(t, ctx, load.Config{
			Mode: mode, Addr: addr, Conns: 4, Duration: time.Hour, Interval: 10 * time.Millisecond,
			ProgressEvery: 10 * time.Millisecond,
			Progress: func(s load.Snapshot) {
				if s.Messages > 0 {
					cancel()
				}
			},
		})
		cancel()
		if !res.Interrupted || res.Messages == 0 {
			t.Fatalf("%s: interrupted %v after %d messages: want an interrupted run with some", mode, res.Interrupted, res.Messages)
		}
		// Operations the interrupt cut short are no failures.
		if res.Errors.Total() != 0 {
			t.Fatalf("%s: errors %v after an interrupt, want none", mode, res.Errors)
		}
	}
}

// reversed answers each chunk with its bytes uppercased in reverse order.
func reversed() func([]byte) ([]byte, bool) {
	return func(p []byte) ([]byte, bool) {
		out := upper(p)
		slices.Reverse(out)
		return out, false
	}
}

func TestMismatchIsCounted(t *testing.T) {
	addr := faultyTCP(t, reversed)
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn, load.IdleHold} {
		res := run(t, testContext(t), load.Config{Mode: mode, Addr: addr, Conns: 2, Size: 64, Count: 4, Interval: time.Millisecond})
		if !res.Failed() || res.Errors[load.Mismatch] == 0 {
			t.Fatalf("%s: errors %v: want a mismatch", mode, res.Errors)
		}
		if !strings.Contains(res.FirstMismatch, string(mode)) || !strings.Contains(res.FirstMismatch, "want 0x") {
			t.Fatalf("%s: first mismatch %q does not say where", mode, res.FirstMismatch)
		}
		if strings.Contains(res.FirstMismatch, "127.0.0.1") {
			t.Fatalf("first mismatch %q names an address", res.FirstMismatch)
		}
	}
}

func TestExtraBytesAreAMismatch(t *testing.T) {
	// Every chunk answered twice.
	addr := faultyTCP(t, func() func([]byte) ([]byte, bool) {
		return func(p []byte) ([]byte, bool) { return append(upper(p), upper(p)...), false }
	})
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn} {
		res := run(t, testContext(t), load.Config{Mode: mode, Addr: addr, Conns: 1, Size: 16, Count: 2})
		if res.Errors[load.Mismatch] == 0 {
			t.Fatalf("%s: errors %v: want a mismatch", mode, res.Errors)
		}
	}
}

func TestEarlyCloseIsClosed(t *testing.T) {
	// Answers the first chunk it reads in full, and half of the second,
	// then closes in order: bulk's chunks may arrive as one, so for bulk
	// the first read is cut short.
	cut := func(first bool) func() func([]byte) ([]byte, bool) {
		return func() func([]byte) ([]byte, bool) {
			n := 0
			if first {
				n = 1
			}
			return func(p []byte) ([]byte, bool) {
				if n++; n == 1 {
					return upper(p), false
				}
				return upper(p[:len(p)/2]), true
			}
		}
	}
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.IdleHold} {
		addr := faultyTCP(t, cut(mode == load.Bulk))
		res := run(t, testContext(t), load.Config{Mode: mode, Addr: addr, Conns: 1, Size: 100, Count: 3, Interval: time.Millisecond})
		if res.Errors[load.Mismatch] != 0 || res.Errors[load.Closed]+res.Errors[load.Reset] == 0 {
			t.Fatalf("%s: errors %v: want closed (or reset), no mismatch", mode, res.Errors)
		}
		if mode == load.IdleHold && (res.Died != 1 || res.Held != 0) {
			t.Fatalf("idle-hold: died %d, held %d: want 1 died", res.Died, res.Held)
		}
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	addr := faultyTCP(t, func() func([]byte) ([]byte, bool) {
		return func(p []byte) ([]byte, bool) { return nil, false }
	})
	res := run(t, testContext(t), load.Config{Mode: load.ReqResp, Addr: addr, Conns: 2, Count: 2, Timeout: 100 * time.Millisecond})
	if res.Errors[load.Timeout] == 0 || res.Messages != 0 {
		t.Fatalf("errors %v, %d messages: want timeouts, no message", res.Errors, res.Messages)
	}
}

func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res := run(t, testContext(t), load.Config{Mode: load.Churn, Addr: addr, Count: 3})
	if res.Errors[load.Refused] != 3 || res.Messages != 0 {
		t.Fatalf("errors %v, %d messages: want 3 refused", res.Errors, res.Messages)
	}
}

func TestUDPFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func([]byte) [][]byte
	}{
		{"reversed", func(p []byte) [][]byte { out := upper(p); slices.Reverse(out); return [][]byte{out} }},
		{"duplicated", func(p []byte) [][]byte { return [][]byte{upper(p), upper(p)} }},
		{"truncated", func(p []byte) [][]byte { return [][]byte{upper(p)[:len(p)-1]} }},
		{"not uppercased", func(p []byte) [][]byte { return [][]byte{p} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := faultyUDP(t, tc.answer)
			res := run(t, testContext(t), load.Config{Mode: load.UDP, Addr: addr, Size: 64, Count: 20, UDPWait: 200 * time.Millisecond})
			if res.Errors[load.Mismatch] == 0 {
				t.Fatalf("errors %v: want a mismatch", res.Errors)
			}
		})
	}
}

func TestUDPLossIsNoError(t *testing.T) {
	// Answers every other datagram.
	var n atomic.Int64
	addr := faultyUDP(t, func(p []byte) [][]byte {
		if n.Add(1)%2 == 0 {
			return nil
		}
		return [][]byte{upper(p)}
	})
	// Exact only where nothing can change the count: the 5 datagrams the
	// server never answers are lost whatever happens. An answer may be
	// lost too (UDP, even on loopback) or come after its wait on a loaded
	// machine (then it is late, not an answer): counted as lost either
	// way, never as an error.
	res := run(t, testContext(t), load.Config{Mode: load.UDP, Addr: addr, Size: 64, Count: 10, UDPWait: slow.Bound(200 * time.Millisecond)})
	if res.Errors.Total() != 0 || res.Lost < 5 || res.Messages > 5 || res.Messages+res.Lost != 10 {
		t.Fatalf("errors %v, %d lost, %d answered (%d late): want no error, every datagram answered or lost, at least the 5 unanswered lost", res.Errors, res.Lost, res.Messages, res.Late)
	}
	if res.Messages == 0 {
		t.Fatalf("no datagram answered (%d late): want the 5 the server answers, or most of them", res.Late)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  load.Config
		want string
	}{
		{load.Config{Mode: "flood", Addr: "x:1", Count: 1}, "unknown mode"},
		{load.Config{Mode: load.Bulk, Count: 1}, "no address"},
		{load.Config{Mode: load.Bulk, Addr: "x:1"}, "set a duration or a count"},
		{load.Config{Mode: load.Bulk, Addr: "x:1", Count: 1, Size: load.MaxSize + 1}, "size"},
		{load.Config{Mode: load.UDP, Addr: "x:1", Count: 1, Size: 65508}, "size"},
		{load.Config{Mode: load.Bulk, Addr: "x:1", Count: 1, Conns: -1}, "negative"},
		{load.Config{Mode: load.Bulk, Addr: "x:1", Count: 1, Rate: -1}, "rate"},
	} {
		_, err := load.Run(t.Context(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Run(%+v) = %v, want one line with %q", tc.cfg, err, tc.want)
		}
	}
}

func TestEchoVerifiesAgainstTheBytesSent(t *testing.T) {
	echoTCP := faultyTCP(t, func() func([]byte) ([]byte, bool) {
		return func(p []byte) ([]byte, bool) { return slices.Clone(p), false }
	})
	echoUDP := faultyUDP(t, func(p []byte) [][]byte { return [][]byte{p} })
	for _, mode := range []load.Mode{load.Bulk, load.ReqResp, load.Churn, load.IdleHold, load.UDP} {
		addr := echoTCP
		if mode == load.UDP {
			addr = echoUDP
		}
		res := run(t, testContext(t), load.Config{Mode: mode, Addr: addr, Conns: 2, Count: 20, Echo: true, Interval: time.Millisecond})
		if res.Errors.Total() != 0 || res.Messages == 0 {
			t.Fatalf("%s: echo server with Echo: errors %v, %d messages; want no error", mode, res.Errors, res.Messages)
		}
		res = run(t, testContext(t), load.Config{Mode: mode, Addr: addr, Conns: 1, Count: 2, UDPWait: 100 * time.Millisecond, Interval: time.Millisecond})
		if res.Errors[load.Mismatch] == 0 {
			t.Fatalf("%s: echo server without Echo: errors %v, want a mismatch", mode, res.Errors)
		}
	}
}
