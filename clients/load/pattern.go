package load

// Upper is the oracle every reply is checked against: Python's bytes.upper()
// on one byte, 'a'..'z' to 'A'..'Z' and every other value unchanged. It is
// written out byte by byte, apart from the reference servers' transform, so
// that a fault in one is never hidden by the same fault in the other.
func Upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// pattern is the data every TCP stream and datagram body is cut from: a
// period of pseudo-random bytes, three in four of them lowercase letters (so
// the transform shows) and the rest any byte value 0x00-0xFF, each stored
// twice in a row, so that any window of up to one period starting anywhere
// in the period is one contiguous slice. want holds the oracle's uppercase of
// send at the same offsets.
type pattern struct {
	period     int
	send, want []byte // 2*period bytes each
}

// minPeriod is the shortest period: long enough that a reply shifted by any
// amount (bytes lost, duplicated or from another stream) differs at once.
const minPeriod = 64 << 10

// newPattern returns a pattern whose period is at least minPeriod and at
// least size, so that a message of size bytes is one slice of it. With echo
// the replies owed are the bytes sent, unchanged.
func newPattern(size int, echo bool) *pattern {
	period := max(minPeriod, size)
	p := &pattern{period: period, send: make([]byte, 2*period), want: make([]byte, 2*period)}
	x := uint64(0x9e3779b97f4a7c15) // xorshift64* state: the same bytes on every run
	for i := range period {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		r := x * 0x2545f4914f6cdd1d
		c := byte(r >> 56)
		if r&3 != 0 {
			c = 'a' + byte((r>>32)%26)
		}
		p.send[i], p.send[period+i] = c, c
		u := c
		if !echo {
			u = Upper(c)
		}
		p.want[i], p.want[period+i] = u, u
	}
	return p
}

// offset returns where stream (connection or socket) i starts in the
// period: streams start at different places, so a reply carried to the
// wrong stream does not match.
func (p *pattern) offset(i int) int {
	return int(uint64(i) * 7919 % uint64(p.period))
}

// at returns the n bytes to send, and the reply they are owed, at position
// pos of stream i. n must not exceed the period.
func (p *pattern) at(i int, pos int64, n int) (send, want []byte) {
	o := int((uint64(p.offset(i)) + uint64(pos)) % uint64(p.period))
	return p.send[o : o+n], p.want[o : o+n]
}
