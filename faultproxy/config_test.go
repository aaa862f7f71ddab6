package faultproxy_test

import (
	"testing"
	"time"

	"github.com/upcheck/upcheck/faultproxy"
)

func TestBadConfig(t *testing.T) {
	for _, tc := range []struct {
		upstream string
		cfg      faultproxy.Config
		want     string
	}{
		{"nowhere", faultproxy.Config{}, `faultproxy: upstream "nowhere": address nowhere: missing port in address`},
		{"127.0.0.1:1", faultproxy.Config{Up: faultproxy.Faults{Segment: -1}}, "faultproxy: Up.Segment -1 is negative"},
		{"127.0.0.1:1", faultproxy.Config{Down: faultproxy.Faults{Segment: 5, SegmentMax: 3}}, "faultproxy: Down.SegmentMax 3 is less than Down.Segment 5"},
		{"127.0.0.1:1", faultproxy.Config{Up: faultproxy.Faults{SegmentMax: 3}}, "faultproxy: Up.SegmentMax 3 is set but Up.Segment is 0"},
		{"127.0.0.1:1", faultproxy.Config{Up: faultproxy.Faults{Delay: -time.Second}}, "faultproxy: Up.Delay -1s is negative"},
		{"127.0.0.1:1", faultproxy.Config{Down: faultproxy.Faults{Latency: -1}}, "faultproxy: Down.Latency -1ns is negative"},
		{"127.0.0.1:1", faultproxy.Config{Down: faultproxy.Faults{Reset: true, ResetAt: -1}}, "faultproxy: Down.ResetAt -1 is negative"},
		{"127.0.0.1:1", faultproxy.Config{Up: faultproxy.Faults{StallAt: -2}}, "faultproxy: Up.StallAt -2 is negative"},
	} {
		p, err := faultproxy.New(tc.upstream, tc.cfg)
		if err == nil {
			p.Close()
			t.Errorf("New(%q, %+v) succeeded, want %q", tc.upstream, tc.cfg, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("New(%q, %+v): %q, want %q", tc.upstream, tc.cfg, err, tc.want)
		}
	}
}

// SetConfig applies to connections accepted after it; open ones keep the
// Config they were accepted with, and an invalid Config changes nothing.
func TestSetConfig(t *testing.T) {
	srv, _ := startServer(t)
	p := startProxy(t, srv.TCPAddr, faultproxy.Config{Down: faultproxy.Faults{Reset: true, ResetAt: 2}})
	old := dial(t, p.Addr())
	waitFor(t, "the first connection to be accepted", func() bool { return p.Stats().Conns == 1 })

	if err := p.SetConfig(faultproxy.Config{Up: faultproxy.Faults{Segment: -1}}); err == nil {
		t.Fatal("SetConfig accepted a negative Segment")
	}
	if err := p.SetConfig(faultproxy.Config{}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	got, err := roundTrip(t, p.Addr(), []byte("hello"))
	if err != nil || string(got) != "HELLO" {
		t.Fatalf("new connection: got %q, err %v; want \"HELLO\" and EOF", got, err)
	}

	if _, err := old.Write([]byte("hello")); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err = readAll(old, 5)
	if !isReset(err) || string(got) != "HE" {
		t.Fatalf("old connection: got %q then %v, want \"HE\" then ECONNRESET", got, err)
	}
}
