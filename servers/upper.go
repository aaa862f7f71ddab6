package servers

import "unsafe"

// SWAR constants for the ASCII lowercase test on eight bytes at once.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	lows7  = 0x7f7f7f7f7f7f7f7f
	fromA  = (0x80 - 'a') * ones // high bit of each byte set when its low 7 bits >= 'a'
	pastZ  = (0x80 - 'z' - 1) * ones
	caseXr = 0x20 // 'a' ^ 'A'
)

// upperWord uppercases the ASCII letters among the eight bytes of w, given
// the constants lows7, fromA, pastZ and highs (see swarConsts). Each byte's
// low seven bits h are offset twice: h+fromA has its high bit set when
// h >= 'a', h+pastZ when h > 'z'; neither sum carries into the next byte.
// A byte is a lowercase letter when the first is set and neither the second
// nor the byte's own high bit (0x80-0xFF are not ASCII) is. The eight
// bytes are independent, so the byte order of the load does not matter.
func upperWord(w, lo7, fa, pz, hi uint64) uint64 {
	h := w & lo7
	lower := (h + fa) &^ ((h + pz) | w) & hi
	return w ^ lower>>2 // 0x80>>2 == 0x20 == caseXr
}

// swarConsts are upperWord's constants, held in a variable so that the
// compiler keeps them in registers through the unrolled loop instead of
// rebuilding a 64-bit immediate for every word.
var swarConsts = [4]uint64{lows7, fromA, pastZ, highs}

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

// upperSWAR is UpperASCII in portable Go: the bytes up to an 8-byte
// boundary one at a time, then 64 bytes per iteration as eight aligned
// words, then single words, then the last few bytes. The words are loaded
// through unsafe, each from the address of an element of b, so that there
// is one bounds check per 64 bytes and no load is unaligned on any
// architecture.
func upperSWAR(b []byte) {
	head := min(int(-uintptr(unsafe.Pointer(unsafe.SliceData(b)))&7), len(b))
	upperBytes(b[:head])
	b = b[head:]
	lo7, fa, pz, hi := swarConsts[0], swarConsts[1], swarConsts[2], swarConsts[3]
	i := 0
	for ; len(b)-i >= 64; i += 64 {
		w := (*[8]uint64)(unsafe.Pointer(&b[i]))
		w[0] = upperWord(w[0], lo7, fa, pz, hi)
		w[1] = upperWord(w[1], lo7, fa, pz, hi)
		w[2] = upperWord(w[2], lo7, fa, pz, hi)
		w[3] = upperWord(w[3], lo7, fa, pz, hi)
		w[4] = upperWord(w[4], lo7, fa, pz, hi)
		w[5] = upperWord(w[5], lo7, fa, pz, hi)
		w[6] = upperWord(w[6], lo7, fa, pz, hi)
		w[7] = upperWord(w[7], lo7, fa, pz, hi)
	}
	for ; len(b)-i >= 8; i += 8 {
		w := (*uint64)(unsafe.Pointer(&b[i]))
		*w = upperWord(*w, lo7, fa, pz, hi)
	}
	upperBytes(b[i:])
}

// upperBytes is the byte loop, for the few bytes around the words.
func upperBytes(b []byte) {
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
