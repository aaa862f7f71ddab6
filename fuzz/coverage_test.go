package fuzz

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/suites/check"
)

func conn(steps ...check.TCPStep) check.TCPConnScript { return check.TCPConnScript{Steps: steps} }

func write(s string) check.TCPStep { return check.TCPStep{Op: check.Write, Data: []byte(s)} }

func op(o check.TCPOp) check.TCPStep { return check.TCPStep{Op: o} }

var pause = check.TCPStep{Op: check.Pause, Pause: 10 * time.Millisecond}

// counted returns the situations counted over cases, those reached at
// least once, as "name=n".
func counted(cases ...*Case) []string {
	var now time.Time
	r := newExplorer("P", 10, func(string, ...any) {}, func() time.Time { return now })
	for _, c := range cases {
		r.ran(c, 100, false)
	}
	var got []string
	for _, s := range r.explored().Situations {
		if s.Cases > 0 {
			got = append(got, fmt.Sprintf("%s=%d", s.Name, s.Cases))
		}
	}
	return got
}

func TestTCPSituations(t *testing.T) {
	tcp := func(conns ...check.TCPConnScript) *Case { return &Case{TCP: &check.TCPScript{Conns: conns}} }
	for _, tc := range []struct {
		name  string
		cases []*Case
		want  []string
	}{
		{"one write, half-close", []*Case{tcp(conn(write("a"), op(check.HalfClose)))},
			[]string{"half-close with replies pending=1", "1 connection=1"}},
		{"read before half-close: nothing pending", []*Case{tcp(conn(write("a"), op(check.Read), op(check.HalfClose)))},
			[]string{"1 connection=1"}},
		{"write, pause, write; empty writes do not count", []*Case{
			tcp(conn(write("a"), pause, write("b"), op(check.Reset))),
			tcp(conn(write(""), pause, write("b"), op(check.Reset))),
		}, []string{"writes before and after a pause=1", "reset with replies pending=2", "1 connection=2"}},
		{"read mid-stream, then close", []*Case{tcp(conn(write("a"), op(check.Read), write("b"), op(check.Close)))},
			[]string{"reads before the reply was complete=1", "close with replies pending=1", "1 connection=1"}},
		{"steps after the end do not count", []*Case{tcp(conn(write("a"), op(check.HalfClose), pause, write("b")))},
			[]string{"half-close with replies pending=1", "1 connection=1"}},
		{"concurrent connections, chunks, network", []*Case{
			tcp(conn(write("a")), conn(write("b"))),
			{TCP: &check.TCPScript{Conns: []check.TCPConnScript{conn(check.TCPStep{Op: check.Write, Data: []byte("abc"), Chunks: []int{1}}), conn(), conn(), conn()}},
				Net: &check.NetFaults{Down: check.StreamFaults{Reset: true, ResetAt: 3}}},
		}, []string{"chunked writes=1", "2 concurrent connections=1", "4 concurrent connections=1", "through a faulty network=1", "network reset=1"}},
	} {
		if got := counted(tc.cases...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: counted %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestUDPSituations(t *testing.T) {
	udp := func(socks ...check.UDPSocketScript) *Case { return &Case{UDP: &check.UDPScript{Sockets: socks}} }
	d := func(n int) []byte { return make([]byte, n) }
	got := counted(
		udp(check.UDPSocketScript{Connected: true, Datagrams: [][]byte{d(0), d(100)}}),
		udp(check.UDPSocketScript{Burst: true, Datagrams: [][]byte{d(101), d(1)}}, check.UDPSocketScript{Burst: true, Datagrams: [][]byte{d(1)}}),
	)
	net := udp(check.UDPSocketScript{Datagrams: [][]byte{d(1)}})
	net.UDPNet = &check.UDPNetFaults{}
	got = append(got, counted(net)...)
	want := []string{"empty datagram=1", "datagram of the maximum size=1", "datagram of the maximum size + 1=1", "burst=1", "connected socket=1", "unconnected socket=1", "concurrent sockets=1",
		"unconnected socket=1", "through a faulty network=1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counted %q, want %q", got, want)
	}
}

// TestExplorerProgress: a progress line every progressEvery by the clock,
// the situations never reached listed with 0, and nothing counted once a
// failure is being shrunk.
func TestExplorerProgress(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	var logs []string
	r := newExplorer("UDPScripts", 100, func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }, func() time.Time { return now })
	c := &Case{UDP: &check.UDPScript{Sockets: []check.UDPSocketScript{{Datagrams: [][]byte{{}}}}}}
	for range 4 {
		now = now.Add(2 * time.Second)
		r.ran(c, 0, false)
	}
	now = now.Add(2 * time.Second)
	r.ran(c, 0, true)
	now = now.Add(30 * time.Second) // shrinking
	r.ran(c, 0, true)
	r.ran(c, 0, false)
	want := []string{
		`progress: {"property":"UDPScripts","cases":3,"checks":100,"failures":0,"seconds":6}`,
	}
	if !reflect.DeepEqual(logs, want) {
		t.Errorf("logged\n%s\nwant\n%s", strings.Join(logs, "\n"), strings.Join(want, "\n"))
	}
	x := r.explored()
	line := x.Line(fuzzspec.ExploredPrefix)
	wantLine := `explored: {"property":"UDPScripts","cases":5,"checks":100,"failures":1,"seconds":10,"situations":[{"name":"empty datagram","cases":5},{"name":"datagram of the maximum size","cases":0},{"name":"datagram of the maximum size + 1","cases":0},{"name":"burst","cases":0},{"name":"connected socket","cases":0},{"name":"unconnected socket","cases":5},{"name":"concurrent sockets","cases":0},{"name":"through a faulty network","cases":0}]}`
	if line != wantLine {
		t.Errorf("explored line\n%s\nwant\n%s", line, wantLine)
	}
	back, prefix, ok := fuzzspec.ParseExplored(line)
	if !ok || prefix != fuzzspec.ExploredPrefix || !reflect.DeepEqual(back, x) {
		t.Errorf("ParseExplored(%s) = %+v, %q, %v", line, back, prefix, ok)
	}
}
