package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/suites/check"
)

// TestProxyChecksPassOnReference runs the checks, against the reference,
// through the faults the table's proxy cases leave out (latency with random
// segments, resets late in a reply, in the request, in both directions, and
// scripts of several connections): none may report a violation.
func TestProxyChecksPassOnReference(t *testing.T) {
	e := referenceEnv(t)
	random := check.StreamFaults{Segment: 1, SegmentMax: 512}
	reset := func(at int64) check.StreamFaults { return check.StreamFaults{Reset: true, ResetAt: at} }
	two := check.TCPScript{Case: "two connections", Conns: []check.TCPConnScript{
		{Steps: []check.TCPStep{{Op: check.Write, Data: clients.Payload(1, 3000)}, {Op: check.Read}, {Op: check.HalfClose}}},
		{Steps: []check.TCPStep{{Op: check.Write, Data: []byte("short")}, {Op: check.Read}, {Op: check.Write, Data: clients.Payload(2, 5000)}, {Op: check.HalfClose}}},
	}}
	cases := map[string]func(context.Context) error{
		"stream random, delayed": func(ctx context.Context) error {
			return check.TCPStreamThroughProxy(ctx, e, check.StreamCase{Name: "64 KiB", Payload: clients.Payload(0, 64<<10), Chunks: []int{1000}},
				check.NetFaults{Seed: 3, Up: random, Down: check.StreamFaults{Segment: 1, SegmentMax: 512, Delay: 20 * time.Microsecond, Latency: time.Millisecond}})
		},
		"reset down mid-reply": func(ctx context.Context) error {
			return check.TCPResetThroughProxy(ctx, e, "1 MiB", clients.Payload(0, 1<<20), check.NetFaults{Down: reset(200000)})
		},
		"reset up": func(ctx context.Context) error {
			return check.TCPResetThroughProxy(ctx, e, "64 KiB", clients.Payload(0, 64<<10), check.NetFaults{Up: reset(5000)})
		},
		"reset both": func(ctx context.Context) error {
			return check.TCPResetThroughProxy(ctx, e, "64 KiB", clients.Payload(0, 64<<10), check.NetFaults{Up: reset(30000), Down: reset(20000)})
		},
		"script, down reset between the connections' sizes": func(ctx context.Context) error {
			// The first connection is owed 3000 bytes and is reset at
			// 4000 (never); the second is owed 5005 and is reset.
			return check.RunTCPThroughProxy(ctx, e, two, check.NetFaults{Down: check.StreamFaults{Segment: 1, SegmentMax: 100, Reset: true, ResetAt: 4000}})
		},
		"script, up reset": func(ctx context.Context) error {
			return check.RunTCPThroughProxy(ctx, e, two, check.NetFaults{Up: reset(10)})
		},
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

// TestProxyResetAtOnce repeats a reset at offset 0, which ends either the
// client's connect or its first read or write, depending on timing: both
// must pass.
func TestProxyResetAtOnce(t *testing.T) {
	e := referenceEnv(t)
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := check.TCPResetThroughProxy(ctx, e, "at once", []byte("hello"), check.NetFaults{Down: check.StreamFaults{Reset: true}})
		cancel()
		if err != nil {
			t.Fatalf("violation on the reference:\n%v", err)
		}
	}
}

// startBadServer serves every connection with handle on a loopback
// listener until the test ends.
func startBadServer(t *testing.T, handle func(*net.TCPConn)) check.Env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c.(*net.TCPConn))
			})
		}
	})
	return check.Env{TCP: ln.Addr().String(), Logf: t.Logf}
}

// cutting answers up to n bytes correctly, then resets the connection:
// a server that cuts its own streams.
func cutting(n int) func(*net.TCPConn) {
	return func(c *net.TCPConn) {
		buf := make([]byte, 1024)
		for sent := 0; ; {
			m, err := c.Read(buf)
			if m > 0 {
				k := min(m, n-sent)
				c.Write(check.Upper(buf[:k]))
				if sent += k; sent >= n {
					c.SetLinger(0)
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// TestProxyCatchesServerResets checks that the allowance for injected
// resets does not excuse a server's own: a server that resets after 100
// reply bytes fails, whether the proxy was to reset the reply after 1000
// bytes or the request after 1000 (sent a byte at a time, so that the
// server's reset comes first). A client that waits for its reply without
// half-closing is cut short too, so the reply is lost in the stream, not
// at its end: TCP-STREAM, not TCP-EOF.
func TestProxyCatchesServerResets(t *testing.T) {
	e := startBadServer(t, cutting(100))
	for name, f := range map[string]check.NetFaults{
		"down": {Down: check.StreamFaults{Reset: true, ResetAt: 1000}},
		"up":   {Up: check.StreamFaults{Segment: 1, Delay: 100 * time.Microsecond, Reset: true, ResetAt: 1000}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := check.RunTCPThroughProxy(ctx, e, check.TCPScript{Case: "cut", SkipFinalProbe: true, Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
				{Op: check.Write, Data: clients.Payload(0, 4000)}, {Op: check.HalfClose},
			}}}}, f)
			vs := check.AsViolations(err)
			if len(vs) == 0 {
				t.Fatalf("a server that resets after 500 bytes passed: %v", err)
			}
			t.Logf("%v", err)
			if got := vs.IDs(); got[0] != "TCP-STREAM" {
				t.Fatalf("violations name %v, want TCP-STREAM (a reset before the reply's end, with or without the half-close)", got)
			}
		})
	}
}

// TestProxyCatchesWrongBytes checks that a reset does not excuse wrong
// bytes before it.
func TestProxyCatchesWrongBytes(t *testing.T) {
	e := startBadServer(t, func(c *net.TCPConn) {
		buf := make([]byte, 1024)
		for {
			m, err := c.Read(buf)
			if m > 0 {
				c.Write(bytes.ToLower(buf[:m]))
			}
			if err != nil {
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := check.RunTCPThroughProxy(ctx, e, check.TCPScript{ID: "TCP-RESET", Case: "lowercase", SkipFinalProbe: true, Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: []byte(strings.Repeat("abc", 1000))}, {Op: check.HalfClose},
	}}}}, check.NetFaults{Down: check.StreamFaults{Reset: true, ResetAt: 100}})
	vs := check.AsViolations(err)
	if len(vs) == 0 || vs[0].ID != "TCP-BYTES" || !strings.Contains(vs[0].Observed, "not uppercased") {
		t.Fatalf("a server that answers in lowercase: %v; want a TCP-BYTES violation saying a byte was not uppercased", err)
	}
}

// TestProxyBadInput checks that faults the proxy cannot inject, and a reset
// check whose payload never reaches its reset, are errors of the caller,
// never violations.
func TestProxyBadInput(t *testing.T) {
	e := referenceEnv(t)
	ctx := context.Background()
	s := check.TCPScript{Conns: []check.TCPConnScript{{Steps: []check.TCPStep{{Op: check.Write, Data: []byte("a")}, {Op: check.HalfClose}}}}}
	for name, err := range map[string]error{
		"negative segment": check.RunTCPThroughProxy(ctx, e, s, check.NetFaults{Up: check.StreamFaults{Segment: -1}}),
		"no address":       check.RunTCPThroughProxy(ctx, check.Env{}, s, check.NetFaults{}),
		"no reset":         check.TCPResetThroughProxy(ctx, e, "x", []byte("abc"), check.NetFaults{}),
		"reset too far":    check.TCPResetThroughProxy(ctx, e, "x", []byte("abc"), check.NetFaults{Down: check.StreamFaults{Reset: true, ResetAt: 3}}),
		"bad faults":       check.TCPResetThroughProxy(ctx, e, "x", []byte("abc"), check.NetFaults{Down: check.StreamFaults{Reset: true, Delay: -1}}),
	} {
		if err == nil || check.AsViolations(err) != nil {
			t.Errorf("%s: %v, want an error that holds no violation", name, err)
		}
	}
}

func TestNetFaultsString(t *testing.T) {
	for _, tc := range []struct {
		f    check.NetFaults
		want string
	}{
		{check.NetFaults{}, "up: as is; down: as is"},
		{check.NetFaults{Up: check.StreamFaults{Segment: 1, Delay: 100 * time.Microsecond}}, "up: 1-byte segments 100µs apart; down: as is"},
		{check.NetFaults{Seed: 7, Down: check.StreamFaults{Segment: 1, SegmentMax: 512, Reset: true, ResetAt: 1000}}, "up: as is; down: segments of 1-512 bytes, reset after 1000 bytes (seed 7)"},
		{check.NetFaults{Down: check.StreamFaults{Delay: time.Millisecond, Latency: 5 * time.Millisecond, Reset: true, ResetAt: 1}}, "up: as is; down: reads 1ms apart, 5ms latency, reset after 1 byte"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestNetFaultsJSON checks that faults survive JSON, as the fuzzers keep
// failing cases.
func TestNetFaultsJSON(t *testing.T) {
	f := check.NetFaults{Seed: 9, Up: check.StreamFaults{Segment: 1, SegmentMax: 9, Delay: time.Microsecond}, Down: check.StreamFaults{Latency: time.Second, Reset: true, ResetAt: 12}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g check.NetFaults
	if err := json.Unmarshal(b, &g); err != nil || g != f {
		t.Fatalf("%s decodes to %+v, %v; want %+v", b, g, err, f)
	}
	if b, _ := json.Marshal(check.NetFaults{}); string(b) != "{}" {
		t.Fatalf("the zero faults encode as %s, want {}", b)
	}
}
