//go:build amd64 && !purego

package servers

// upperVector uppercases the first len(b)&^15 bytes of b in place, 16 bytes
// at a time with SSE2 (part of every amd64 CPU), and returns how many it
// did; UpperASCII does the rest. It adds 0x1f to each byte, which maps
// exactly 'a'..'z' to 0x80..0x99, the signed bytes below -102, and flips
// bit 0x20 of the bytes that compare below.
//
//go:noescape
func upperVector(b []byte) int
