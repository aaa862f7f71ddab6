package clients_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
)

func TestSleep(t *testing.T) {
	if err := clients.Sleep(t.Context(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if err := clients.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(cancelled, 1h) = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > testTimeout {
		t.Errorf("Sleep(cancelled, 1h) took %v", took)
	}
	if err := clients.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(cancelled, 0) = %v, want context.Canceled", err)
	}
}
