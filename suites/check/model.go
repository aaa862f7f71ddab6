package check

// Upper is the oracle every check compares against: Python's bytes.upper(),
// which maps 0x61-0x7A to 0x41-0x5A and leaves every other byte value alone.
// It is a plain byte loop on purpose, independent of the reference servers'
// fast transform, so that a bug there cannot hide behind the same bug here.
func Upper(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// isLower reports whether c is one of the bytes the transform changes.
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
