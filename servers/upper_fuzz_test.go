package servers

// The fuzz target lives alone with its model so that libFuzzer builds
// (ClusterFuzzLite, OSS-Fuzz), whose testing shim knows only F and T, can
// compile it.

import (
	"bytes"
	"testing"
)

// naiveUpper is the model UpperASCII must match: Python's bytes.upper().
func naiveUpper(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// upperImpls are the implementations checked against naiveUpper: the
// exported one (vector code where there is some) and the portable SWAR code
// it falls back to, which must stay right on every architecture.
var upperImpls = []struct {
	name string
	f    func([]byte)
}{
	{"UpperASCII", UpperASCII},
	{"upperSWAR", upperSWAR},
}

func FuzzUpperASCII(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("client33333"))
	f.Add([]byte("\x60\x61\x7a\x7b\xe1\xfa\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want := naiveUpper(in)
		for _, impl := range upperImpls {
			got := bytes.Clone(in)
			impl.f(got)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s(% x) = % x, want % x", impl.name, in, got, want)
			}
		}
	})
}
