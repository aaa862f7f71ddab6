package check_test

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/check"
)

// harshNet drops, duplicates, reorders and delays a fifth of the
// datagrams each way.
func harshNet(seed int64) check.UDPNetFaults {
	f := check.DatagramFaults{Drop: 20, Duplicate: 20, Reorder: 20, Delay: 2 * time.Millisecond}
	return check.UDPNetFaults{Seed: seed, Up: f, Down: f}
}

func netScript(marker bool) check.UDPScript {
	s := benchScript(marker)
	s.Sockets = append(s.Sockets, check.UDPSocketScript{Burst: true, Datagrams: [][]byte{[]byte("same"), []byte("same"), []byte("SAME"), {}}})
	return s
}

func TestUDPThroughProxyPassesTheReference(t *testing.T) {
	e := check.Env{UDP: serverstestUDP(t), Logf: t.Logf}
	for seed := range int64(8) {
		for _, marker := range []bool{true, false} {
			f := harshNet(seed)
			if err := check.RunUDPThroughProxy(udpContext(t), e, netScript(marker), f); err != nil {
				t.Fatalf("%s, marker %v: %v", f, marker, err)
			}
		}
	}
}

func TestUDPThroughProxyFindsTheServersFaults(t *testing.T) {
	tests := []struct {
		name  string
		reply func([]byte) [][]byte
		// other, if set, answers from another socket than the server's.
		other bool
		want  string
	}{
		{"twice", func(d []byte) [][]byte { u := check.Upper(d); return [][]byte{u, u} }, false, "UDP-ONCE"},
		{"not uppercased", func(d []byte) [][]byte { return [][]byte{d} }, false, "UDP-BYTES"},
		{"from another socket", func(d []byte) [][]byte { return [][]byte{check.Upper(d)} }, true, "UDP-SOURCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			if tt.other {
				addr = startUDPFromOther(t)
			} else {
				addr = startUDPFunc(t, tt.reply)
			}
			e := check.Env{UDP: addr, Logf: t.Logf}
			s := check.UDPScript{Case: "net", EndOnMarker: true, Sockets: []check.UDPSocketScript{
				{Datagrams: [][]byte{[]byte("one"), []byte("two")}, Burst: true},
				{Datagrams: [][]byte{[]byte("three")}},
			}}
			// The network may hide the fault from a case (dropping
			// every duplicate, say), never blame another requirement.
			found := 0
			for seed := range int64(4) {
				err := check.RunUDPThroughProxy(udpContext(t), e, s, harshNet(seed))
				switch got := check.AsViolations(err).IDs(); {
				case slices.Equal(got, []string{tt.want}):
					found++
				case err != nil:
					t.Errorf("seed %d: violated %v, want [%s]: %v", seed, got, tt.want, err)
				}
			}
			if found < 3 {
				t.Errorf("%s found in %d of 4 networks", tt.want, found)
			}
		})
	}
}

// startUDPFromOther serves UDP on loopback, answering each datagram with
// its uppercase from another socket, until the test ends.
func startUDPFromOther(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			out.WriteTo(check.Upper(buf[:n]), from)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		out.Close()
		<-done
	})
	return pc.LocalAddr().String()
}
