package load_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/upcheck/upcheck/internal/slow"
	"github.com/upcheck/upcheck/servers"
	"github.com/upcheck/upcheck/servers/serverstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every run of a test: generous, since the runs are
// bounded by a count and only a broken engine would wait it out.
var testTimeout = slow.Bound(20 * time.Second)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startReference starts the reference servers and closes them when the
// test ends.
func startReference(t *testing.T) *serverstest.Server {
	t.Helper()
	s := serverstest.NewServer()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing reference servers: %v", err)
		}
	})
	return s
}

// faultyTCP is a TCP server on loopback that answers each chunk it reads
// with answer(chunk), then closes the connection in order if answer says
// so. Each connection has its own answer from newAnswer, which may keep
// state in its closure. For the faults the reference never has.
func faultyTCP(t *testing.T, newAnswer func() func([]byte) (out []byte, end bool)) string {
	t.Helper()
	ln, err := servers.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				answer := newAnswer()
				buf := make([]byte, 1024)
				for {
					c.SetDeadline(time.Now().Add(testTimeout))
					n, err := c.Read(buf)
					if n > 0 {
						out, end := answer(buf[:n])
						if _, err := c.Write(out); err != nil || end {
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
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// faultyUDP is a UDP server on loopback that answers each datagram with
// every datagram answer returns.
func faultyUDP(t *testing.T, answer func([]byte) [][]byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			for _, out := range answer(slices.Clone(buf[:n])) {
				pc.WriteTo(out, from)
			}
		}
	})
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

// upper is the naive uppercase, for the faulty servers.
func upper(p []byte) []byte {
	out := slices.Clone(p)
	servers.UpperASCII(out)
	return out
}
