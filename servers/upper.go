package servers

import "encoding/binary"

// SWAR constants for the ASCII lowercase test on eight bytes at once.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	lows7  = 0x7f7f7f7f7f7f7f7f
	fromA  = (0x80 - 'a') * ones // high bit of each byte set when its low 7 bits >= 'a'
	pastZ  = (0x80 - 'z' - 1) * ones
	caseXr = 0x20 // 'a' ^ 'A'
)

// upperWord uppercases the ASCII letters among the eight bytes of w. Each
// byte's low seven bits are offset so that its high bit tells whether it lies
// in 'a'..'z'; bytes with the high bit already set (0x80-0xFF) are excluded,
// so no byte carries into its neighbour and non-ASCII bytes stay unchanged.
func upperWord(w uint64) uint64 {
	h := w & lows7
	lower := (h + fromA) &^ (h + pastZ) &^ w & highs
	return w ^ lower>>2 // 0x80>>2 == 0x20 == caseXr
}

// UpperASCII maps every byte of b in 'a'..'z' to 'A'..'Z' in place and leaves
// every other byte value (0x00-0xFF) unchanged: the semantics of Python's
// bytes.upper(), which the seed server applies to each recv. It never
// allocates. Unlike bytes.ToUpper it neither maps Unicode nor rewrites
// invalid UTF-8.
//
// It is the reference servers' only work per byte, so it is fast: 16 bytes
// at a time with SSE2 on amd64, then eight at a time (SWAR) for the rest and
// on other architectures.
func UpperASCII(b []byte) {
	n := upperVector(b)
	upperSWAR(b[n:])
}

// upperSWAR is UpperASCII in portable Go: eight bytes at a time, unrolled to
// 32, then a byte loop for the last few.
func upperSWAR(b []byte) {
	for len(b) >= 32 {
		w0 := binary.LittleEndian.Uint64(b[0:8])
		w1 := binary.LittleEndian.Uint64(b[8:16])
		w2 := binary.LittleEndian.Uint64(b[16:24])
		w3 := binary.LittleEndian.Uint64(b[24:32])
		binary.LittleEndian.PutUint64(b[0:8], upperWord(w0))
		binary.LittleEndian.PutUint64(b[8:16], upperWord(w1))
		binary.LittleEndian.PutUint64(b[16:24], upperWord(w2))
		binary.LittleEndian.PutUint64(b[24:32], upperWord(w3))
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, upperWord(binary.LittleEndian.Uint64(b)))
		b = b[8:]
	}
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c ^ caseXr
		}
	}
}

// AppendUpperASCII appends the ASCII uppercase of src to dst and returns the
// extended slice, leaving src untouched.
func AppendUpperASCII(dst, src []byte) []byte {
	n := len(dst)
	dst = append(dst, src...)
	UpperASCII(dst[n:])
	return dst
}
