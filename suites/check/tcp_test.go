package check_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
	"github.com/upcheck/upcheck/suites/check"
)

func referenceEnv(t *testing.T) check.Env {
	t.Helper()
	srv := serverstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	return check.Env{TCP: srv.TCPAddr, UDP: srv.UDPAddr, Logf: t.Logf}
}

// TestTCPChecksPassOnReference runs every TCP check against the reference:
// none may report a violation.
func TestTCPChecksPassOnReference(t *testing.T) {
	e := referenceEnv(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	mib := bytes.Repeat([]byte("stream of lowercase "), 1<<20/20)
	cases := map[string]func(context.Context) error{
		"roundtrip 1 byte": func(ctx context.Context) error { return check.TCPRoundTrip(ctx, e, "1 byte", []byte("a")) },
		"roundtrip 1025": func(ctx context.Context) error {
			return check.TCPRoundTrip(ctx, e, "1025", bytes.Repeat([]byte("x"), 1025))
		},
		"pingpong":      func(ctx context.Context) error { return check.TCPPingPong(ctx, e, 100, []byte("client33333")) },
		"bytes all 256": func(ctx context.Context) error { return check.TCPBytes(ctx, e, "all 256", all) },
		"stream 1-byte": func(ctx context.Context) error {
			return check.TCPStream(ctx, e, check.StreamCase{Name: "1-byte", Payload: all, Chunks: []int{1}})
		},
		"stream 1MiB": func(ctx context.Context) error {
			return check.TCPStream(ctx, e, check.StreamCase{Name: "1MiB", Payload: mib, Chunks: check.RandomChunks(1, 16, 65536)})
		},
		"eof empty":     func(ctx context.Context) error { return check.TCPEOF(ctx, e, "empty", nil) },
		"eof 64k":       func(ctx context.Context) error { return check.TCPEOF(ctx, e, "64k", mib[:64<<10]) },
		"reset before":  func(ctx context.Context) error { return check.TCPReset(ctx, e, check.ResetBeforeData) },
		"reset mid":     func(ctx context.Context) error { return check.TCPReset(ctx, e, check.ResetMidStream) },
		"reset reply":   func(ctx context.Context) error { return check.TCPReset(ctx, e, check.ResetDuringReply) },
		"disc unread":   func(ctx context.Context) error { return check.TCPDisconnect(ctx, e, check.CloseUnread) },
		"disc midwrite": func(ctx context.Context) error { return check.TCPDisconnect(ctx, e, check.CloseMidWrite) },
		"disc midreply": func(ctx context.Context) error { return check.TCPDisconnect(ctx, e, check.CloseMidReply) },
		"concurrent":    func(ctx context.Context) error { return check.TCPConcurrent(ctx, e, 2, 20, 5, 10*time.Millisecond) },
		"isolation":     func(ctx context.Context) error { return check.TCPIsolation(ctx, e, 50, 4096, 7) },
		"churn":         func(ctx context.Context) error { return check.TCPChurn(ctx, e, 200, 100, 20, 7) },
		"emptywrite":    func(ctx context.Context) error { return check.TCPEmptyWrite(ctx, e) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := f(ctx); err != nil {
				t.Fatalf("violation on the reference:\n%v", err)
			}
		})
	}
}
