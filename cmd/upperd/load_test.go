package main

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/slow"
)

// TestSIGTERMUnderLoad checks upperd's graceful stop with clients streaming
// both ways: on SIGTERM every client gets a prefix of its reply stream,
// then EOF, never a reset that would throw reply bytes away; the process
// exits 0 within -shutdown-timeout (by its own account: it did not log that
// the timeout cut the shutdown short); and nothing listens afterwards.
func TestSIGTERMUnderLoad(t *testing.T) {
	p, tcpAddr, _ := startServing(t, "-shutdown-timeout", slow.Bound(5*time.Second).String())
	block := bytes.Repeat([]byte("streaming through a shutdown, "), 512)
	want := bytes.ToUpper(block) // ASCII only: the reference's mapping
	type result struct {
		got, sent int
		wrong     bool
		err       error
	}
	const clients = 5
	results := make([]result, clients)
	var wg sync.WaitGroup
	replying := make(chan struct{}, clients)
	for i := range clients {
		c := dialTCP(t, tcpAddr)
		wg.Go(func() {
			done := make(chan struct{})
			sent := make(chan int, 1)
			go func() {
				n := 0
				defer func() { sent <- n }()
				for {
					select {
					case <-done:
						return
					default:
					}
					c.SetWriteDeadline(time.Now().Add(testTimeout))
					m, err := c.Write(block)
					n += m
					if err != nil {
						return
					}
				}
			}()
			r := &results[i]
			buf := make([]byte, 32<<10)
			signalled := false
			for {
				c.SetReadDeadline(time.Now().Add(testTimeout))
				n, err := c.Read(buf)
				for j, b := range buf[:n] {
					if b != want[(r.got+j)%len(want)] {
						r.wrong = true
					}
				}
				r.got += n
				if r.got >= 64<<10 && !signalled {
					signalled = true
					replying <- struct{}{}
				}
				if err != nil {
					r.err = err
					break
				}
			}
			close(done)
			c.Close()
			r.sent = <-sent
		})
	}
	for range clients {
		select {
		case <-replying:
		case <-time.After(testTimeout):
			t.Fatal("the clients got no replies")
		}
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
	t.Logf("exited %v after SIGTERM", time.Since(start))
	<-p.done
	if s := p.stderr(); strings.Contains(s, "shutdown cut short") || !strings.Contains(s, "msg=stopped") {
		t.Fatalf("the graceful shutdown did not end within -shutdown-timeout:\n%s", s)
	}
	for i, r := range results {
		if r.err != io.EOF || r.wrong || r.got > r.sent {
			t.Errorf("client %d: %d bytes received of %d sent (wrong bytes: %v), then %v; want a prefix of the reply, then EOF", i, r.got, r.sent, r.wrong, r.err)
		}
	}
	if c, err := net.DialTimeout("tcp", tcpAddr, testTimeout); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after upperd exited", tcpAddr)
	}
}
