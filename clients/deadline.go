package clients

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked
// operation at once, as net/http does to abort reads.
var aLongTimeAgo = time.Unix(1, 0)

// withDeadline returns ctx unchanged when it has a deadline, and otherwise a
// child of ctx that ends after DefaultTimeout.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// watch sets the socket deadline through set to ctx's deadline (which ctx
// must have: see withDeadline) and moves it into the past as soon as ctx
// ends, so a blocked read or write returns promptly. The returned function
// undoes the arrangement; once it has returned, ctx's end no longer touches
// the socket, so the next operation's deadline is safe.
func watch(ctx context.Context, set func(time.Time) error) (stop func()) {
	dl, _ := ctx.Deadline()
	set(dl)
	fired := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		set(aLongTimeAgo)
		close(fired)
	})
	return func() {
		if !stopFunc() {
			<-fired
		}
	}
}

// withCancel adds ctx's cancellation to err when ctx was cancelled (rather
// than timed out), so that a caller can tell an interrupt from a timeout with
// errors.Is(err, context.Canceled). The socket error stays in the chain.
func withCancel(ctx context.Context, err error) error {
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, ctx.Err())
}

// Sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx.Err() in the second case: a pause between writes or requests that a
// cancelled run does not wait out.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
