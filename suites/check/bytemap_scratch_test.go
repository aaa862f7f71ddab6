package check

import (
	"bytes"
	"testing"

	"github.com/upcheck/upcheck/clients"
)

func TestByteMappedScratch(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	uni := []byte{}
	for _, b := range all {
		switch {
		case b >= 0x80:
			uni = append(uni, 0xef, 0xbf, 0xbd)
		default:
			uni = append(uni, Upper([]byte{b})...)
		}
	}
	z := bytes.ReplaceAll(Upper([]byte("the lazy zebra zigzags")), []byte("Z"), []byte("z"))
	whole := append(Upper([]byte("hello")), make([]byte, 10)...)
	drop := Upper([]byte("abcdefghijkl"))
	drop = append(drop[:4:4], drop[8:]...)
	for _, c := range []struct {
		sent, got []byte
		want      bool
	}{
		{all, uni, true},
		{all, uni[:300], true},
		{[]byte("the lazy zebra zigzags"), z, true},
		{[]byte("hello"), whole, false},
		{[]byte("abcdefghijkl"), drop, true},
		{[]byte("bystander beforebystander after"), append([]byte("BYSTANDER BEFORE"), make([]byte, 15)...), false},
		{[]byte("hello"), []byte("HELLO"), true},
		{bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), 100), append(Upper(bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), 40)), Upper(bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), 100))[1024*2:]...), false},
		{[]byte{0x80}, []byte{0xef, 0xbf, 0xbd}, true},
		{[]byte("ab"), []byte("BA"), true},
	} {
		if got := byteMapped(c.sent, c.got); got != c.want {
			t.Errorf("byteMapped(%q, %q) = %v", c.sent, c.got, got)
		}
	}
}

func TestByteMappedEcho(t *testing.T) {
	for _, n := range []int{1023, 1024, 1025} {
		p := clientsPayload(n)
		if !byteMapped(p, p) {
			t.Errorf("echo %d not mapped", n)
		}
	}
}

func clientsPayload(n int) []byte { return clients.Payload(0, n) }
