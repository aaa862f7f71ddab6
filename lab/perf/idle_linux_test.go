package perf

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// idleConns is how many idle connections the memory benchmark holds.
const idleConns = 5000

// idleTimeout bounds each socket operation of the memory benchmark, and the
// wait for the server's goroutines to end.
const idleTimeout = 10 * time.Second

// BenchmarkIdleMemory measures what an idle TCP connection costs the
// server: it opens 5,000 connections to a server in this process, proves
// each served with a one-byte round trip, and compares memory before and
// after: resident memory (VmRSS) and Go's heap objects plus goroutine
// stacks, per connection. Then it closes them, waits for the server's
// goroutines to end, and reports what is left (retained-B, against the
// reading before the first round); it does this three times and fails if
// memory grows from the first round to the third by a tenth of what the
// connections held.
//
// The client side uses raw sockets (no Go objects, no goroutines), so that
// what grows is the server's alone; keep-alive is off on them, as it is
// by default for a raw socket.
func BenchmarkIdleMemory(b *testing.B) {
	raiseFileLimit(b, 2*idleConns+256)
	for _, name := range []string{plainEcho, reference} {
		b.Run(fmt.Sprintf("conns=%d/server=%s", idleConns, name), func(b *testing.B) {
			which := name
			if name == reference {
				which = referenceTCP // no UDP workers starting while goroutines are counted
			}
			s := start(b, which)
			addr, err := netip.ParseAddrPort(s.tcp)
			if err != nil {
				b.Fatal(err)
			}
			want := byte('A')
			if s.echo {
				want = 'a'
			}
			for b.Loop() {
				var rss, heap, retained []float64
				first := memNow(b)
				for range 3 {
					before := memNow(b)
					fds := openIdle(b, addr, idleConns, want)
					held := memNow(b)
					closeAll(fds)
					waitGoroutines(b, before.goroutines)
					after := memNow(b)
					rss = append(rss, float64(held.rss-before.rss)/idleConns)
					heap = append(heap, float64(held.heapStacks-before.heapStacks)/idleConns)
					retained = append(retained, float64(after.heapStacks-first.heapStacks))
				}
				b.ReportMetric(median(rss), "rss-B/conn")
				b.ReportMetric(median(heap), "heap+stack-B/conn")
				b.ReportMetric(retained[len(retained)-1], "retained-B")
				// What a server keeps after its first 5,000 connections
				// (a map's buckets, cached stack spans) it may keep, give
				// or take the runtime's noise; a leak grows by a share of
				// what the connections held, every round.
				held := median(heap) * idleConns
				if grew := retained[2] - retained[0]; grew > held/10 {
					b.Errorf("heap and stacks grew by %.0f bytes from the first round of %d connections to the third (they held %.0f): retained %v",
						grew, idleConns, held, retained)
				}
			}
		})
	}
}

// mem is a reading of the process's memory.
type mem struct {
	rss        int64 // VmRSS
	heapStacks int64 // live heap objects plus goroutine stacks, after a GC
	goroutines int
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
}

// memNow collects garbage, returns freed memory to the OS, and reads.
func memNow(b *testing.B) mem {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	metrics.Read(memSamples)
	m := mem{goroutines: runtime.NumGoroutine()}
	for _, s := range memSamples {
		m.heapStacks += int64(s.Value.Uint64())
	}
	m.rss = vmRSS(b)
	return m
}

// vmRSS reads the resident set size from /proc/self/status.
func vmRSS(b *testing.B) int64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// raiseFileLimit raises the soft limit on open files to the hard limit (Go
// does it at start; this is in case something lowered it), and skips the
// benchmark if that is still below need.
func raiseFileLimit(b *testing.B, need uint64) {
	b.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Skipf("cannot read the open-file limit: %v", err)
	}
	if lim.Cur < need && lim.Max > lim.Cur {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < need {
		b.Skipf("needs %d open files, the limit is %d (hard %d): raise ulimit -n", need, lim.Cur, lim.Max)
	}
}

// openIdle opens n raw TCP connections to addr, each with send and
// receive timeouts, and does a one-byte round trip on each ("a" must come
// back as want), so that the server has accepted and served every one. It
// fails b, closing what it opened, on any error.
func openIdle(b *testing.B, addr netip.AddrPort, n int, want byte) []int {
	b.Helper()
	fds := make([]int, 0, n)
	sa := &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	tv := syscall.NsecToTimeval(idleTimeout.Nanoseconds())
	fail := func(format string, args ...any) {
		closeAll(fds)
		b.Fatalf(format, args...)
	}
	buf := []byte{0}
	for i := range n {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			fail("socket %d: %v", i, err)
		}
		fds = append(fds, fd)
		for _, opt := range []int{syscall.SO_SNDTIMEO, syscall.SO_RCVTIMEO} {
			if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
				fail("setsockopt %d: %v", i, err)
			}
		}
		if err := retry(func() error { return syscall.Connect(fd, sa) }); err != nil {
			fail("connect %d: %v", i, err)
		}
		if err := retry(func() error { _, err := syscall.Write(fd, []byte{'a'}); return err }); err != nil {
			fail("write %d: %v", i, err)
		}
		var got int
		if err := retry(func() error { var err error; got, err = syscall.Read(fd, buf); return err }); err != nil || got != 1 || buf[0] != want {
			fail("round trip %d: read %d bytes %q, %v; want %q", i, got, buf[:got], err, want)
		}
	}
	return fds
}

// retry calls op again while it is interrupted by a signal.
func retry(op func() error) error {
	for {
		if err := op(); err != syscall.EINTR {
			return err
		}
	}
}

func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

// waitGoroutines waits until no more than n goroutines are left: the
// server's per-connection goroutines have ended, a positive signal. It
// fails b after idleTimeout.
func waitGoroutines(b *testing.B, n int) {
	b.Helper()
	end := time.Now().Add(idleTimeout)
	for runtime.NumGoroutine() > n {
		if time.Now().After(end) {
			b.Fatalf("%d goroutines after closing every connection, want %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
