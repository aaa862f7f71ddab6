package servers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// plainEcho is the baseline the reference TCPServer is measured against: a
// goroutine per connection that reads into a readSize buffer and writes back
// what it read, with no transform and no bookkeeping.
func plainEcho(ln net.Listener, readSize int) (stop func()) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, readSize)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// cpuTime is the CPU time, user and system, the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBlock is the unit each client writes and verifies: 64 KiB of every
// byte value, about a tenth of them lowercase letters.
const benchBlock = 64 << 10

// BenchmarkTCPBulk measures how fast bytes go through the reference
// TCPServer, against a plain echo loop with the same read size, over
// loopback, in one process. Each connection writes and reads concurrently
// and checks every byte it gets back. One op is one 64 KiB block through
// one connection; MB/s counts bytes sent (each also comes back). Compare
// with benchstat, e.g. -col /server.
func BenchmarkTCPBulk(b *testing.B) {
	in := payload(benchBlock, 0xbe7c)
	for _, readSize := range []int{DefaultReadSize, 32 << 10} {
		for _, server := range []string{"reference", "plainecho"} {
			for _, conns := range []int{1, 8} {
				name := fmt.Sprintf("server=%s/readsize=%d/conns=%d", server, readSize, conns)
				b.Run(name, func(b *testing.B) {
					ln, err := Listen("127.0.0.1:0")
					if err != nil {
						b.Fatal(err)
					}
					want := in
					var stop func()
					if server == "reference" {
						s := &TCPServer{ReadSize: readSize}
						done := make(chan struct{})
						go func() { s.Serve(ln); close(done) }()
						stop = func() { s.Close(); <-done }
						want = naiveUpper(in)
					} else {
						stop = plainEcho(ln, readSize)
					}
					defer stop()
					benchBulk(b, ln.Addr().String(), conns, in, want)
				})
			}
		}
	}
}

// benchBulk sends b.N blocks in over conns connections, each connection
// writing and reading at once, and checks that every block comes back as
// want.
func benchBulk(b *testing.B, addr string, conns int, in, want []byte) {
	cs := make([]net.Conn, conns)
	for i := range cs {
		d := net.Dialer{KeepAlive: -1, Timeout: testTimeout}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	errs := make(chan error, 2*conns)
	for i, c := range cs {
		blocks := b.N / conns
		if i < b.N%conns {
			blocks++
		}
		// Generous, but bounded: a stuck server fails the benchmark.
		c.SetDeadline(time.Now().Add(time.Minute + time.Duration(blocks)*time.Millisecond))
		wg.Go(func() {
			for range blocks {
				if _, err := c.Write(in); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			got := make([]byte, len(want))
			for range blocks {
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, want) {
					errs <- errors.New("a block came back changed")
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	// CPU time per op, client and server together: on a busy machine it
	// varies far less than wall time, and it is what the transform costs.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
