package check

import (
	"bytes"
	"testing"
)

// TestDiffBytes pins the excerpt failure text shows of a difference: a few
// bytes before it, a bar at its offset, sixteen bytes from there, and
// where each side ends.
func TestDiffBytes(t *testing.T) {
	long := bytes.Repeat([]byte("A"), 40)
	damaged := bytes.Clone(long)
	damaged[10] = 'a'
	for _, tt := range []struct {
		want, got string
		text      string
	}{
		{"ABC", "ABC", ""},
		{"", "", ""},
		{"", "A", "first difference at offset 0: want |(end), got |41 (end)"},
		{"ABC", "ABc", "first difference at offset 2: want 41 42|43 (end), got 41 42|63 (end)"},
		{string(long), string(damaged), "first difference at offset 10: want 41 41 41 41|41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41…, " +
			"got 41 41 41 41|61 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41…"},
	} {
		if got := DiffBytes([]byte(tt.want), []byte(tt.got)); got != tt.text {
			t.Errorf("DiffBytes(%q, %q)\n = %s\nwant %s", tt.want, tt.got, got, tt.text)
		}
	}
}

func TestTextHelpers(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{nBytes(0), "0 bytes"},
		{nBytes(1), "1 byte"},
		{nBytes(2), "2 bytes"},
		{plural(1, "send"), "1 send"},
		{plural(3, "send"), "3 sends"},
		{hexStart(nil), ""},
		{hexStart([]byte("ab")), "61 62"},
		{hexStart(bytes.Repeat([]byte{0xff}, 17)), "ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff…"},
		{string(truncateForText([]byte("short"))), "short"},
		{string(truncateForText(bytes.Repeat([]byte("x"), 40))), string(bytes.Repeat([]byte("x"), 32))},
		{describeWant(5, 8192), "upper(request)"},
		{describeWant(10, 8), "upper of the first 8 bytes of the 10-byte request"},
		{describeStall(tcpStall{want: 4, total: 1}, 0), "1 of 4 reply bytes, then no further byte within the timeout"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := firstDiff([]byte("ab"), []byte("ab")); got != -1 {
		t.Errorf("firstDiff of equal slices = %d, want -1", got)
	}
	if got := firstDiff([]byte("ab"), []byte("abc")); got != 2 {
		t.Errorf("firstDiff of a prefix = %d, want 2", got)
	}
}
