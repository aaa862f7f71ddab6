package fuzz

import (
	"bytes"
	"fmt"

	"github.com/upcheck/upcheck/suites/check"
)

// Seed is one named seed input for the native fuzz targets.
type Seed struct {
	Name string
	Data []byte
}

// Seeds are the inputs every byte-driven fuzz target starts from, also
// checked in as files under testdata/fuzz (builds such as ClusterFuzzLite's
// ignore f.Add): empty, one byte, all 256 values, every ordered pair of the
// boundary bytes (boundaryPairs), UTF-8 and invalid UTF-8, and the sizes
// around the seed's recv(1024), socketserver's 8192 and the largest IPv4
// UDP payload. Against an external target the campaign runs these only:
// the byte-driven targets' mutations of raw bytes are random search there.
var Seeds = []Seed{
	{"empty", nil},
	{"one-byte", []byte("a")},
	{"seed-message", []byte("client33333")},
	{"all-256", all256},
	{"boundary-pairs", boundaryPairs()},
	{"utf8", []byte("héllo straße ǆ ﬁ 😀 ıſ")},
	{"invalid-utf8", []byte("\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc abc")},
	{"size-1023", sized(1023)},
	{"size-1024", sized(1024)},
	{"size-1025", sized(1025)},
	{"size-8192", sized(8192)},
	{"size-8193", sized(8193)},
	{"size-65507", sized(65507)},
}

// boundaryPairs is a de Bruijn sequence of order 2 over boundaryBytes: each
// ordered pair of boundary bytes (0xe0 then 'z', 0xff then 0xfa, ...)
// appears in it once, side by side, so that one input holds every pair a
// server may choke on in one read, or, written a byte at a time, split
// across two.
func boundaryPairs() []byte {
	k := len(boundaryBytes)
	seen := make(map[[2]int]bool, k*k)
	// An Eulerian circuit of the complete directed graph, loops included,
	// on the boundary bytes: from each byte, take the highest pair out of
	// it not taken yet (the prefer-max construction of a de Bruijn
	// sequence), until none is left.
	seq := []int{0}
	next := make([]int, k) // per byte, the next edge out to try, from k-1 down
	for i := range next {
		next[i] = k - 1
	}
	for cur := 0; ; {
		for next[cur] >= 0 && seen[[2]int{cur, next[cur]}] {
			next[cur]--
		}
		if next[cur] < 0 {
			break
		}
		to := next[cur]
		seen[[2]int{cur, to}] = true
		seq = append(seq, to)
		cur = to
	}
	b := make([]byte, len(seq))
	for i, j := range seq {
		b[i] = boundaryBytes[j]
	}
	return b
}

// sized is n bytes cycling through every byte value, so each size also
// carries all 256 values.
func sized(n int) []byte {
	return bytes.Repeat(all256, n/256+1)[:n]
}

// MaxStreamLen caps the bytes TCPStreamScript writes, so that one input of
// the byte-driven TCP target (at most 64 KiB in 1-byte writes) stays well
// under a second against a conforming server.
const MaxStreamLen = 64 << 10

// TCPStreamScript is the one-connection script of the byte-driven TCP fuzz
// target: data (cut to MaxStreamLen) written in chunks of 1+chunk bytes,
// then a half-close.
func TCPStreamScript(data []byte, chunk uint16) *check.TCPScript {
	if len(data) > MaxStreamLen {
		data = data[:MaxStreamLen]
	}
	return &check.TCPScript{Case: fmt.Sprintf("stream in chunks of %d", int(chunk)+1), Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
		{Op: check.Write, Data: data, Chunks: []int{int(chunk) + 1}}, {Op: check.HalfClose},
	}}}}
}

// UDPDatagramScript is the one-datagram script of the byte-driven UDP fuzz
// target: data, cut to the largest IPv4 UDP payload. It ends on a marker
// exchange (check.UDPScript.EndOnMarker), so an input takes milliseconds.
func UDPDatagramScript(data []byte) *check.UDPScript {
	if len(data) > check.MaxUDPPayload {
		data = data[:check.MaxUDPPayload]
	}
	return &check.UDPScript{Case: "one datagram", EndOnMarker: true, Sockets: []check.UDPSocketScript{{Datagrams: [][]byte{data}}}}
}
