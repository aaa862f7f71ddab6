package clients_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

var errOdd = errors.New("odd")

func TestConcurrentlyJoinsErrorsInOrder(t *testing.T) {
	const n = 8
	err := clients.Concurrently(testContext(t), n, 0, func(ctx context.Context, i int) error {
		// Later clients finish first, yet the errors come out by i.
		time.Sleep(time.Duration(n-i) * time.Millisecond)
		if i%2 == 1 {
			return fmt.Errorf("%w %d", errOdd, i)
		}
		return nil
	})
	want := "client 1: odd 1\nclient 3: odd 3\nclient 5: odd 5\nclient 7: odd 7"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %q, want %q", err, want)
	}
	if !errors.Is(err, errOdd) {
		t.Fatal("joined error does not wrap the clients' errors")
	}
	if err := clients.Concurrently(testContext(t), n, 3, func(context.Context, int) error { return nil }); err != nil {
		t.Fatalf("err = %v, want nil when every client succeeds", err)
	}
	if err := clients.Concurrently(testContext(t), 0, 3, nil); err != nil {
		t.Fatalf("no clients: err = %v", err)
	}
}

func TestConcurrentlyRespectsParallel(t *testing.T) {
	for _, parallel := range []int{1, 4, 0} {
		const n = 20
		want := parallel
		if want == 0 {
			want = n
		}
		var running, most atomic.Int32
		full := make(chan struct{})
		var once sync.Once
		ran := make([]atomic.Bool, n)
		err := clients.Concurrently(testContext(t), n, parallel, func(ctx context.Context, i int) error {
			cur := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
			}
			if cur == int32(want) {
				once.Do(func() { close(full) })
			}
			// Every client waits until the bound was reached once: a
			// positive signal that that many ran at the same time.
			select {
			case <-full:
			case <-ctx.Done():
				return ctx.Err()
			}
			ran[i].Store(true)
			return nil
		})
		if err != nil {
			t.Fatalf("parallel %d: %v", parallel, err)
		}
		if got := most.Load(); got != int32(want) {
			t.Fatalf("parallel %d: at most %d ran at once, want %d", parallel, got, want)
		}
		for i := range ran {
			if !ran[i].Load() {
				t.Fatalf("parallel %d: client %d never ran", parallel, i)
			}
		}
	}
}

func TestConcurrentlyStopsStartingWhenCtxEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var started atomic.Int32
	err := clients.Concurrently(ctx, 5, 1, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 1 {
			cancel()
			return ctx.Err()
		}
		return nil
	})
	if started.Load() != 2 {
		t.Fatalf("%d clients started, want 2", started.Load())
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		"client 1: context canceled",
		"client 2: not started: context canceled",
		"client 3: not started: context canceled",
		"client 4: not started: context canceled",
	}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Fatalf("err = %q, want %q", lines, want)
	}
}
