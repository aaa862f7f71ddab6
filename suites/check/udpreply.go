package check

import "fmt"

// classifyReply judges d as the reply to request k, req, whose expected
// reply is want; p is the length of the prefix d shares with upper(req).
func classifyReply(socket, k int, req, want, d []byte, p, max int) udpFinding {
	full := Upper(req)
	f := udpFinding{socket: socket, datagram: k, key: string(d), detail: DiffBytes(want, d),
		expected: fmt.Sprintf("a reply of %s, %s", nBytes(len(want)), describeWant(len(req), max))}
	n := len(d)
	// A reply larger than its request is a mapping of its bytes when each
	// byte value became the same few bytes wherever it occurs (see
	// byteMapped): UDP-BYTES's; else it carries something besides the
	// answer: UDP-ONCE's.
	mapped := n > len(req) && byteMapped(req, d)
	switch {
	case p < n && p < len(full) && p < len(want) && (n <= len(req) || mapped):
		// A byte differs within the expected reply: the mapping.
		f.id, f.kind = "UDP-BYTES", "mapping"
		in, out := req[p], d[p]
		switch {
		case isLower(in) && out == in:
			f.observed = fmt.Sprintf("byte 0x%02x (%q) not uppercased", in, in)
		case isLower(in):
			f.observed = fmt.Sprintf("byte 0x%02x (%q) became 0x%02x", in, in, out)
		default:
			f.observed = fmt.Sprintf("byte 0x%02x changed to 0x%02x", in, out)
		}
		if n != len(want) {
			f.observed += fmt.Sprintf(", and %d bytes instead of %d", n, len(want))
		}
	case mapped:
		f.id, f.kind = "UDP-BYTES", "mapping"
		f.observed = fmt.Sprintf("the %d-byte request came back as %d bytes, a byte value mapped to several", len(req), n)
	case n > len(req):
		f.id, f.kind = "UDP-ONCE", "larger"
		f.observed = fmt.Sprintf("a %d-byte reply to a %d-byte request", n, len(req))
	case n < len(want):
		f.id, f.kind = "UDP-SIZE", "short"
		f.observed = fmt.Sprintf("the reply cut to %d bytes (declared maximum %d)", n, max)
	default:
		// Longer than the declared maximum, not longer than the request.
		f.id, f.kind = "UDP-SIZE", "over-max"
		how := "more than"
		if p == n && n == len(req) {
			how = "the whole request, not cut to"
		}
		f.observed = fmt.Sprintf("a %d-byte reply: %s the declared maximum of %d", n, how, max)
	}
	return f
}

// closestRequest returns the request, among those indexed by among (nil:
// all), that got looks most like the reply to: the longest common prefix
// with upper(request), then one that most of got resembles, then the
// closest length, then the lowest index. p is that prefix's length;
// related says whether at least half the bytes got shares in position with
// the request agree with it or its uppercase, which tells a damaged reply
// from an unrelated datagram. k is -1 when there is no request.
func closestRequest(got []byte, reqs [][]byte, among []int) (k, p int, related bool) {
	k = -1
	bestDist := 0
	consider := func(i int) {
		req := reqs[i]
		full := Upper(req)
		pi := commonPrefix(got, full)
		ri := resembles(got, req, full)
		dist := abs(len(got) - len(req))
		better := k < 0 || pi > p ||
			(pi == p && ri && !related) ||
			(pi == p && ri == related && dist < bestDist)
		if better {
			k, p, related, bestDist = i, pi, ri, dist
		}
	}
	if among == nil {
		for i := range reqs {
			consider(i)
		}
	} else {
		for _, i := range among {
			consider(i)
		}
	}
	return k, p, related
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// resembles reports whether at least half the bytes got shares in position
// with req equal the request's byte or its uppercase.
func resembles(got, req, full []byte) bool {
	n := min(len(got), len(req))
	if n == 0 {
		return false
	}
	same := 0
	for i := range n {
		if got[i] == req[i] || got[i] == full[i] {
			same++
		}
	}
	return 2*same >= n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
