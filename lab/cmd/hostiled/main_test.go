package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-tcp", "0", "-tcp-mode", "loud"},
		{"-udp", "0", "-udp-mode", "loud"},
		{"-tcp", "0", "-die-after", "-1"},
		{"-tcp", "127.0.0.1:99999"},
		{"-no-such-flag"},
	} {
		var stderr bytes.Buffer
		exited := false
		code := run(args, &stderr, nil, func(int) { exited = true })
		if out := stderr.String(); code != 2 || exited || !strings.HasPrefix(out, "hostiled: ") || strings.Count(out, "\n") != 1 {
			t.Errorf("hostiled %v: status %d, output %q; want 2 and one line", args, code, out)
		}
	}
}

// TestDiesAfter checks -die-after: the connection after the last one
// allowed ends the process, with status 3 and a line saying why.
func TestDiesAfter(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sigs := make(chan os.Signal, 1)
	died := make(chan int, 1)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"-tcp", "0", "-die-after", "1"}, w, sigs, func(code int) {
			died <- code
			sigs <- syscall.SIGTERM // a real exit ends run too
		})
		w.Close()
	}()
	lines := bufio.NewScanner(r)
	if !lines.Scan() {
		t.Fatal("no line saying where it listens")
	}
	addr := lines.Text()[strings.LastIndex(lines.Text(), " ")+1:]
	for i, want := range []string{"A", ""} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("a"))
		got := make([]byte, 1)
		n, _ := c.Read(got)
		c.Close()
		if string(got[:n]) != want {
			t.Fatalf("connection %d got %q, want %q", i, got[:n], want)
		}
	}
	if code := <-died; code != 3 {
		t.Fatalf("died with status %d, want 3", code)
	}
	if !lines.Scan() || lines.Text() != "hostiled: dying after 1 connections" {
		t.Fatalf("last line %q, want the reason it died", lines.Text())
	}
	if code := <-done; code != 0 {
		t.Fatalf("run = %d", code)
	}
}
