package clients

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Concurrently runs fn(ctx, i) for i in [0, n) with at most parallel running
// at once (0 = all n), and returns errors.Join of every error, each wrapped as
// "client i: ...". ctx bounds them all.
//
// Clients start in order of i. Once ctx has ended, those not yet started are
// not run and each reports "client i: not started: " and ctx's error. The
// joined errors are in order of i whatever order the clients finished in, so
// the text is the same on every run. It returns once every fn has returned.
func Concurrently(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return nil
	}
	if parallel <= 0 || parallel > n {
		parallel = n
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("client %d: not started: %w", i, err)
					continue
				}
				if err := fn(ctx, i); err != nil {
					errs[i] = fmt.Errorf("client %d: %w", i, err)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
