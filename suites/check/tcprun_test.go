package check_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/backlogtest"
	"github.com/upcheck/upcheck/suites/check"
)

// startCapped starts a seed-style TCP server that, like socketserver's
// ForkingTCPServer (40 children), serves at most limit connections at once
// and accepts the next only when one has ended, behind a listen backlog of
// backlog.
func startCapped(t *testing.T, limit, backlog int) string {
	t.Helper()
	ln := backlogtest.Listen(t, backlog)
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer func() { <-slots }()
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(bytes.ToUpper(buf[:n])); err != nil {
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
	return ln.Addr().String()
}

// TestIsolationOnACappedServer: TCP-ISOLATION judges bytes, not how many
// connections a server holds at once, so a correct server that serves 8 at
// a time with a backlog of 5 passes with 40 clients, which it cannot all
// hold open at once.
func TestIsolationOnACappedServer(t *testing.T) {
	addr := startCapped(t, 8, 5)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := check.TCPIsolation(ctx, check.Env{TCP: addr, Logf: t.Logf}, check.IsolationParams{Clients: 40, Size: 4 << 10, Seed: 1})
	if err != nil {
		t.Fatalf("TCPIsolation on a server that serves 8 at a time: %v", err)
	}
}

// TestIsolationOnAServerThatStopsAccepting: a server that accepts 8
// connections and never reads from them or accepts more fails, within the
// case's time: the dials after the first stall still get their timeout.
func TestIsolationOnAServerThatStopsAccepting(t *testing.T) {
	ln := backlogtest.Listen(t, 5)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range 8 {
		dial, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer dial.Close()
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := check.TCPIsolation(ctx, check.Env{TCP: ln.Addr().String(), Logf: t.Logf, Scale: 0.3}, check.IsolationParams{Clients: 40, Size: 4 << 10, Seed: 1})
	if len(check.AsViolations(err)) == 0 {
		t.Fatalf("TCPIsolation on a server that accepts nothing = %v, want violations", err)
	}
	t.Log(err)
}
