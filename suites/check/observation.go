package check

import (
	"errors"
	"net/netip"
	"syscall"

	"github.com/upcheck/upcheck/clients"
)

// What the engines hand the judges: an observation per connection or
// socket, with no socket behind it.

// tcpConnObs is what one scripted connection observed, all the judge needs
// and nothing of the socket: what it sent, what came back, how the stream
// ended, and where the script stopped short.
type tcpConnObs struct {
	script TCPConnScript // what the connection was to do
	sent   []byte        // every byte that reached the socket, in order
	got    []byte        // every byte that came back, up to the cap
	end    clients.End   // how the stream ended
	endErr error         // the error behind end (nil for EOF)
	// writeErr stopped the Write or HalfClose at step writeStep (-1: none).
	writeErr  error
	writeStep int
	// stall is the Read step, or the wait for every reply at the end of a
	// script without an ending step, that did not get its bytes (nil: none).
	stall *tcpStall
	// noEOF says the stream did not end within the timeout after the
	// half-close.
	noEOF bool
}

// tcpStall is a wait for the reply that ran out of time or of stream.
type tcpStall struct {
	step  int   // the step that waited; len(Steps) for the script's end
	want  int64 // the reply bytes owed: every byte written so far
	total int64 // the reply bytes that had come
	ended bool  // the stream had ended (tcpConnObs.end says how)
}

// sawReset reports whether the connection was reset under the client: its
// reader, or a write, got ECONNRESET or EPIPE, or its half-close found the
// connection gone (ENOTCONN: the reset came in before the reader took it).
func (o *tcpConnObs) sawReset() bool {
	return o.end == clients.EndReset || isResetErr(o.writeErr)
}

// halfCloseFoundReset reports whether the half-close failed because the
// connection had already been reset: the server ended the stream before
// the client closed its side, which what came back judges, not a refused
// half-close.
func (o *tcpConnObs) halfCloseFoundReset() bool {
	return o.writeErr != nil && o.writeStep >= 0 && o.script.Steps[o.writeStep].Op == HalfClose && isResetErr(o.writeErr)
}

// isResetErr reports whether err, from a write or a half-close, says the
// connection was reset: ECONNRESET, EPIPE, or ENOTCONN.
func isResetErr(err error) bool {
	return clients.EndOf(err) == clients.EndReset || errors.Is(err, syscall.ENOTCONN)
}

// proxiedObs is what the connections of a script run through a
// fault-injecting proxy observed, and what the proxy did to them.
type proxiedObs struct {
	conns    []*tcpConnObs // nil for a connection the proxy reset during its connect
	injected map[int]bool  // the connections whose reset the proxy injected
	refused  int64         // connections the server refused the proxy
}

// udpSocketObs is what one scripted socket observed, all the judge needs
// and nothing of the socket: what it sent, how often, and every datagram
// that came back, with its source.
type udpSocketObs struct {
	connected bool               // a connected socket (it sees only the server's datagrams)
	server    netip.AddrPort     // where the requests went
	reqs      [][]byte           // the requests as sent, cut to MaxUDPPayload
	tries     []int              // attempts per request, failed sends included
	sends     []int              // successful sends per request
	got       []clients.Datagram // every datagram received, in order, up to the receiver's limit
	dropped   int                // datagrams received beyond the receiver's limit
	// markerReplies counts the replies to end markers (udpmarker.go),
	// which are not in got and are not judged.
	markerReplies int
	// net is what a network between the socket and the server did to its
	// datagrams (RunUDPThroughProxy); nil without one.
	net *udpNetRecord
}

// udpObs is what every socket of a script observed.
type udpObs struct {
	sockets []*udpSocketObs
	// probedSource is where the reply to a fresh unconnected socket came
	// from, as describeSource says, when the run asked (see
	// needsSourceProbe); "" otherwise.
	probedSource string
	// newSocketSilent: a socket whose only request, an empty datagram,
	// went unanswered had the run ask a fresh socket for "a" (see
	// needsEmptyFollowUp), and that got no reply either: the server does
	// not answer new sockets, whatever the datagram.
	newSocketSilent bool
}

// needsEmptyFollowUp reports whether some socket of o sent one empty
// datagram and nothing else, and got nothing back at all after its tries:
// by itself that cannot tell a server that ignores empty datagrams
// (UDP-EMPTY) from one that does not answer that socket (UDP-ROUNDTRIP).
func (o udpObs) needsEmptyFollowUp() bool {
	for _, so := range o.sockets {
		if len(so.reqs) == 1 && len(so.reqs[0]) == 0 && so.tries[0] > 0 && len(so.got) == 0 && so.dropped == 0 && so.markerReplies == 0 {
			return true
		}
	}
	return false
}

// silence says whether any socket of o got a datagram back (answered),
// and, if none did, whether some datagram was sent through all its tries
// (spent): a server seen silent.
func (o udpObs) silence() (answered, spent bool) {
	for _, so := range o.sockets {
		if len(so.got) > 0 || so.dropped > 0 || so.markerReplies > 0 {
			return true, false
		}
		for _, n := range so.tries {
			if n > 0 && n >= SilentTries {
				spent = true
			}
		}
	}
	return false, spent
}

// udpLoc names one request of a script: socket and datagram index.
type udpLoc struct{ socket, datagram int }

// indexWants maps each expected reply to the requests, of any socket, that
// expect it; wants[i][k] is the reply request k of socket i must get.
func indexWants(wants [][][]byte) map[string][]udpLoc {
	all := map[string][]udpLoc{}
	for i, ws := range wants {
		for k, w := range ws {
			all[string(w)] = append(all[string(w)], udpLoc{i, k})
		}
	}
	return all
}

// otherSocket returns the first request of a socket other than socket that
// expects b as its reply, and whether there is one.
func otherSocket(all map[string][]udpLoc, b []byte, socket int) (udpLoc, bool) {
	for _, loc := range all[string(b)] {
		if loc.socket != socket {
			return loc, true
		}
	}
	return udpLoc{}, false
}

// udpGroups groups a socket's requests by the reply they expect: requests
// with the same expected reply share their replies by count.
type udpGroups struct {
	byWant map[string]int // the group expecting each reply
	of     []int          // each request's group
	rank   []int          // each request's position in its group
	n      int            // how many groups
}

func groupRequests(wants [][]byte) udpGroups {
	g := udpGroups{byWant: map[string]int{}, of: make([]int, len(wants)), rank: make([]int, len(wants))}
	var sizes []int
	for k, w := range wants {
		n, ok := g.byWant[string(w)]
		if !ok {
			n = len(sizes)
			g.byWant[string(w)] = n
			sizes = append(sizes, 0)
		}
		g.of[k], g.rank[k] = n, sizes[n]
		sizes[n]++
	}
	g.n = len(sizes)
	return g
}

// lookup returns the group whose expected reply is b, if there is one.
func (g udpGroups) lookup(b []byte) (int, bool) {
	n, ok := g.byWant[string(b)]
	return n, ok
}
