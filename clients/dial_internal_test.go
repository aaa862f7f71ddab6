package clients

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestDialAttempts checks the retry rule on a scripted dial: attempts that
// time out are tried again, any other outcome ends the dial, and the last
// attempt gets the caller's whole deadline.
func TestDialAttempts(t *testing.T) {
	conn, _ := net.Pipe()
	defer conn.Close()
	// timeout fails as net.Dialer does at its deadline.
	timeout := func(ctx context.Context) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	for _, tc := range []struct {
		name     string
		outcomes int // attempts that time out before the one that answers
		answer   error
		want     int // attempts made
		wantErr  error
	}{
		{"connects at once", 0, nil, 1, nil},
		{"connects after two dropped SYNs", 2, nil, 3, nil},
		{"refused is final", 1, syscall.ECONNREFUSED, 2, syscall.ECONNREFUSED},
		{"the last attempt waits out the deadline", synRetries, nil, synRetries + 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			attempts := 0
			c, err := dialAttempts(ctx, func(actx context.Context) (net.Conn, error) {
				attempts++
				if attempts <= tc.outcomes {
					return timeout(actx)
				}
				if attempts == synRetries+1 {
					if dl, _ := actx.Deadline(); time.Until(dl) < synRetry*100 {
						t.Errorf("last attempt's deadline %v away, want the caller's", time.Until(dl))
					}
				}
				if tc.answer != nil {
					return nil, tc.answer
				}
				return conn, nil
			})
			if attempts != tc.want || !errors.Is(err, tc.wantErr) || (err == nil) != (c != nil) {
				t.Errorf("%d attempts, conn %v, err %v; want %d attempts, err %v", attempts, c != nil, err, tc.want, tc.wantErr)
			}
		})
	}
	t.Run("the caller's deadline ends it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), synRetry/2)
		defer cancel()
		attempts := 0
		_, err := dialAttempts(ctx, func(actx context.Context) (net.Conn, error) { attempts++; return timeout(actx) })
		if attempts != 1 || err == nil {
			t.Errorf("%d attempts, err %v; want 1 attempt, a timeout", attempts, err)
		}
	})
}
