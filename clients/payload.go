package clients

// Payload layout: 16-byte blocks, block k of client i being
//
//	iiiiiii-kkkkkkkk
//
// with i written in 7 base-26 digits a..z (so i modulo 26^7) and k in 8 (k
// modulo 26^8), most significant first. The '-' appears once per block and
// nowhere else, so any 16 consecutive bytes show where the blocks start, hold
// every digit of i, and tell k.
const (
	payloadBlock = 16
	payloadIDLen = 7
	payloadSep   = '-'
	payloadKLen  = payloadBlock - payloadIDLen - 1
)

// Payload returns a deterministic payload of size bytes for client i: mostly
// lowercase letters (so the transform shows) with i's identity written into it
// so that any two clients' payloads differ in every 16-byte window when size>=16.
//
// The payload is a run of 16-byte blocks "iiiiiii-kkkkkkkk": client i's
// number (modulo 26^7) in seven letters a..z, a '-', and the block's index k
// in eight letters, most significant first: Payload(42, 32) is
// "aaaaabq-aaaaaaaaaaaaabq-aaaaaaab". Fifteen bytes in sixteen are
// lowercase letters, Payload(i, n) is a prefix of Payload(i, m) for n < m,
// and any 16 consecutive bytes of it (in either case: the server's reply
// too) name the client and their offset: see PayloadOwner. Even a payload
// shorter than 16 bytes names its client once it has 7 bytes.
func Payload(i, size int) []byte {
	if size <= 0 {
		return []byte{}
	}
	var block [payloadBlock]byte
	id := uint64(i)
	for j := payloadIDLen - 1; j >= 0; j-- {
		block[j] = 'a' + byte(id%26)
		id /= 26
	}
	block[payloadIDLen] = payloadSep
	for j := payloadIDLen + 1; j < payloadBlock; j++ {
		block[j] = 'a'
	}
	p := make([]byte, size)
	for off := 0; off < size; off += payloadBlock {
		copy(p[off:], block[:])
		// The next block's index: add one, carrying from 'z' to 'a'.
		for j := payloadBlock - 1; j > payloadIDLen; j-- {
			if block[j] != 'z' {
				block[j]++
				break
			}
			block[j] = 'a'
		}
	}
	return p
}

// PayloadOwner reads the first 16 bytes of w, a window of some Payload
// (lowercase as sent or uppercase as an uppercase server returns it), and
// returns the client i that Payload was for (modulo 26^7) and the window's
// offset in it (modulo 16*26^8). ok is false if w is shorter than 16 bytes
// or is not such a window. Only the first 16 bytes are read: compare the
// rest against Payload to be sure of a longer window.
func PayloadOwner(w []byte) (i int, offset int64, ok bool) {
	if len(w) < payloadBlock {
		return 0, 0, false
	}
	sep := -1
	for j, b := range w[:payloadBlock] {
		if b == payloadSep {
			if sep >= 0 {
				return 0, 0, false
			}
			sep = j
		} else if lower := b | 0x20; lower < 'a' || lower > 'z' {
			return 0, 0, false
		}
	}
	if sep < 0 {
		return 0, 0, false
	}
	// The window starts at position r of block k and, unless r is 0, runs on
	// into block k+1.
	r := (payloadIDLen - sep + payloadBlock) % payloadBlock
	digit := func(pos int) uint64 { // the letter at block position pos
		j := pos - r
		if j < 0 {
			j += payloadBlock
		}
		return uint64(w[j]|0x20) - 'a'
	}
	var id uint64
	for pos := range payloadIDLen {
		id = id*26 + digit(pos)
	}
	// Index digits at positions >= r come from block k; those before r (when
	// r is past the separator) from block k+1, whose high digits equal k's
	// unless adding one carried into them, that is unless k's low digits
	// are all 'z'.
	firstLow := max(r, payloadIDLen+1)
	var high, low, lowMax uint64 = 0, 0, 1
	for pos := payloadIDLen + 1; pos < firstLow; pos++ {
		high = high*26 + digit(pos)
	}
	for pos := firstLow; pos < payloadBlock; pos++ {
		low = low*26 + digit(pos)
		lowMax *= 26
	}
	if r > payloadIDLen+1 && low == lowMax-1 {
		highMax := uint64(1)
		for range firstLow - payloadIDLen - 1 {
			highMax *= 26
		}
		high = (high + highMax - 1) % highMax
	}
	k := high*lowMax + low
	return int(id), int64(k)*payloadBlock + int64(r), true
}
