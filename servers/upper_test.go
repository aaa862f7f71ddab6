package servers

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

func TestUpperASCIIEveryByteValue(t *testing.T) {
	for v := 0; v < 256; v++ {
		// Place the byte at every offset of a 40-byte buffer so that the
		// unrolled, word and tail paths all see it, next to every neighbour.
		for off := 0; off < 40; off++ {
			for _, fill := range []byte{0x00, 'a', 'z', 0x7f, 0x80, 0xff} {
				in := bytes.Repeat([]byte{fill}, 40)
				in[off] = byte(v)
				got := bytes.Clone(in)
				UpperASCII(got)
				if want := naiveUpper(in); !bytes.Equal(got, want) {
					t.Fatalf("byte 0x%02x at offset %d among 0x%02x: got % x, want % x", v, off, fill, got, want)
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

func FuzzUpperASCII(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("client33333"))
	f.Add([]byte("\x60\x61\x7a\x7b\xe1\xfa\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := bytes.Clone(in)
		UpperASCII(got)
		if want := naiveUpper(in); !bytes.Equal(got, want) {
			t.Fatalf("UpperASCII(% x) = % x, want % x", in, got, want)
		}
	})
}

func benchmarkInput() []byte {
	return bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz012345"), 1<<20/32)
}

// BenchmarkUpper compares UpperASCII with the naive byte loop and with a
// plain copy, on 1 MiB of lowercase, in one run: read the ratios with benchstat.
func BenchmarkUpper(b *testing.B) {
	in := benchmarkInput()
	buf := make([]byte, len(in))
	b.Run("impl=swar", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			copy(buf, in)
			UpperASCII(buf)
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
