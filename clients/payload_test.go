package clients_test

import (
	"bytes"
	"testing"

	"github.com/upcheck/upcheck/clients"
)

func TestPayloadLayout(t *testing.T) {
	if got, want := string(clients.Payload(42, 32)), "aaaaabq-aaaaaaaaaaaaabq-aaaaaaab"; got != want {
		t.Fatalf("Payload(42, 32) = %q, want %q", got, want)
	}
	if got := clients.Payload(0, 0); got == nil || len(got) != 0 {
		t.Fatalf("Payload(0, 0) = %#v, want empty", got)
	}
	if got := string(clients.Payload(1, 5)); got != "aaaaa" {
		t.Fatalf("Payload(1, 5) = %q", got)
	}
	// Block 26 carries into the second-lowest index digit.
	if got := string(clients.Payload(0, 27*16)[26*16:]); got != "aaaaaaa-aaaaaaba" {
		t.Fatalf("block 26 = %q", got)
	}
}

func TestPayloadDeterministicAndPrefixes(t *testing.T) {
	long := clients.Payload(7, 5000)
	if !bytes.Equal(long, clients.Payload(7, 5000)) {
		t.Fatal("Payload is not deterministic")
	}
	for _, n := range []int{1, 15, 16, 17, 1000, 4999} {
		if !bytes.Equal(clients.Payload(7, n), long[:n]) {
			t.Fatalf("Payload(7, %d) is not a prefix of Payload(7, 5000)", n)
		}
	}
	lower := 0
	for _, b := range long {
		if b >= 'a' && b <= 'z' {
			lower++
		}
	}
	if want := len(long) - (len(long)+15)/16; lower != want {
		t.Fatalf("%d of %d bytes are lowercase, want all but one a block: %d", lower, len(long), want)
	}
}

func TestPayloadWindowsNameTheirOwner(t *testing.T) {
	ids := []int{0, 1, 2, 25, 26, 27, 42, 675, 676, 999, 12345, 26*26*26*26*26*26*26 - 1}
	seen := map[string]int{} // every 16-byte window -> owner
	for _, id := range ids {
		p := clients.Payload(id, 16*700) // past 26^2 blocks: carries in the index
		for off := 0; off+16 <= len(p); off++ {
			w := p[off : off+16]
			if other, dup := seen[string(w)]; dup && other != id {
				t.Fatalf("window %q belongs to clients %d and %d", w, other, id)
			}
			seen[string(w)] = id
			for _, win := range [][]byte{w, upper(w)} {
				i, o, ok := clients.PayloadOwner(win)
				if !ok || i != id || o != int64(off) {
					t.Fatalf("PayloadOwner(%q) = %d, %d, %v; want %d, %d", win, i, o, ok, id, off)
				}
			}
		}
	}
}

func TestPayloadOwnerAcrossIndexWrap(t *testing.T) {
	// The index carries through every digit after 26^k-1 blocks; a window
	// straddling that carry must still give the right offset.
	p := clients.Payload(3, 16*(26*26+2))
	for _, block := range []int{25, 26*26 - 1} {
		for r := range 16 {
			off := block*16 + r
			if _, o, ok := clients.PayloadOwner(p[off : off+16]); !ok || o != int64(off) {
				t.Fatalf("offset %d: got %d, %v", off, o, ok)
			}
		}
	}
}

func TestPayloadOwnerRejects(t *testing.T) {
	for _, w := range []string{
		"short",
		"aaaaaaaaaaaaaaaa", // no separator
		"aaa-aaaaaaa-aaaa", // two
		"aaaaaaa-aaaaaaa1",
		"aaaaaaa-aaaaaa@a",    // not a letter
		"aaaaaaa-aaaaaa\xe1a", // not ASCII
	} {
		if _, _, ok := clients.PayloadOwner([]byte(w)); ok {
			t.Errorf("PayloadOwner(%q) ok, want not", w)
		}
	}
}
