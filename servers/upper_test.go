package servers

import (
	"bytes"
	"testing"
)

func TestUpperASCIIEveryByteValue(t *testing.T) {
	for _, impl := range upperImpls {
		for v := 0; v < 256; v++ {
			// Place the byte at every offset of a 72-byte buffer so that
			// the 32-byte, 16-byte, word and tail paths all see it, next
			// to every neighbour.
			for off := 0; off < 72; off++ {
				for _, fill := range []byte{0x00, 'a', 'z', 0x7f, 0x80, 0xff, 0x1f, 0x9a} {
					in := bytes.Repeat([]byte{fill}, 72)
					in[off] = byte(v)
					got := bytes.Clone(in)
					impl.f(got)
					if want := naiveUpper(in); !bytes.Equal(got, want) {
						t.Fatalf("%s: byte 0x%02x at offset %d among 0x%02x: got % x, want % x", impl.name, v, off, fill, got, want)
					}
				}
			}
		}
	}
}

// TestUpperASCIIEveryLength checks every length up to 200, so each way the
// vector, word and byte paths can split a buffer is seen, and that no byte
// outside the slice is touched.
func TestUpperASCIIEveryLength(t *testing.T) {
	src := make([]byte, 256)
	for i := range src {
		src[i] = byte(i*7 + 0x41)
	}
	for _, impl := range upperImpls {
		for start := range 17 {
			for n := 0; start+n <= 200; n++ {
				buf := bytes.Clone(src)
				impl.f(buf[start : start+n])
				want := bytes.Clone(src)
				copy(want[start:], naiveUpper(src[start:start+n]))
				if !bytes.Equal(buf, want) {
					t.Fatalf("%s on bytes [%d:%d]: got % x, want % x", impl.name, start, start+n, buf, want)
				}
			}
		}
	}
}

func TestUpperASCIIAllValuesTogether(t *testing.T) {
	in := make([]byte, 256)
	for i := range in {
		in[i] = byte(i)
	}
	got := bytes.Clone(in)
	UpperASCII(got)
	for i, c := range got {
		want := byte(i)
		if i >= 'a' && i <= 'z' {
			want = byte(i) - 0x20
		}
		if c != want {
			t.Fatalf("value 0x%02x became 0x%02x, want 0x%02x", i, c, want)
		}
	}
}

func TestUpperASCIIIsNotUnicodeUpper(t *testing.T) {
	in := []byte("straße é ǆ \xff\xfe invalid \xc3")
	got := bytes.Clone(in)
	UpperASCII(got)
	if want := []byte("STRAßE é ǆ \xff\xfe INVALID \xc3"); !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if bytes.Equal(bytes.ToUpper(in), got) {
		t.Fatal("bytes.ToUpper agrees with UpperASCII on non-ASCII input; the test input proves nothing")
	}
}

func TestAppendUpperASCIIKeepsSource(t *testing.T) {
	src := []byte("client33333")
	got := AppendUpperASCII([]byte("> "), src)
	if string(got) != "> CLIENT33333" || string(src) != "client33333" {
		t.Fatalf("got %q, source now %q", got, src)
	}
}

func TestUpperASCIIDoesNotAllocate(t *testing.T) {
	buf := bytes.Repeat([]byte("hello, world "), 100)
	if n := testing.AllocsPerRun(100, func() { UpperASCII(buf) }); n != 0 {
		t.Fatalf("UpperASCII allocated %v times per run", n)
	}
}

func benchmarkInput() []byte {
	return bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz012345"), 1<<20/32)
}

// BenchmarkUpper compares UpperASCII with its portable SWAR code, the naive
// byte loop and a plain copy, on 1 MiB of lowercase, in one run: read the
// ratios with benchstat.
func BenchmarkUpper(b *testing.B) {
	in := benchmarkInput()
	buf := make([]byte, len(in))
	b.Run("impl=UpperASCII", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			copy(buf, in)
			UpperASCII(buf)
		}
	})
	b.Run("impl=swar", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			copy(buf, in)
			upperSWAR(buf)
		}
	})
	b.Run("impl=byteloop", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			copy(buf, in)
			for i, c := range buf {
				if 'a' <= c && c <= 'z' {
					buf[i] = c - 0x20
				}
			}
		}
	})
	b.Run("impl=copyonly", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			copy(buf, in)
		}
	})
}
