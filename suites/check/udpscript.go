package check

// MaxUDPPayload is the largest payload one UDP datagram over IPv4 carries:
// 65535 bytes less the 20-byte IP and 8-byte UDP headers. A longer request
// cannot be sent.
const MaxUDPPayload = 65507

// UDPSocketScript is what one client socket does: the datagrams it sends,
// in order, and how.
type UDPSocketScript struct {
	// Connected makes the socket a connected one (connect(2)), as a client
	// that calls connect before send does: the kernel then delivers only
	// datagrams from the server's address and port. An unconnected socket
	// sends with sendto and sees, and checks, each reply's source.
	Connected bool `json:"connected,omitempty"`
	// Datagrams are the requests, each of 0 to MaxUDPPayload bytes; a
	// longer one is cut to MaxUDPPayload. Identical requests are allowed.
	Datagrams [][]byte `json:"datagrams"`
	// Burst sends every datagram at once, without waiting for a reply.
	// Otherwise each datagram is a round trip: its reply is awaited before
	// the next is sent, and the socket stops at the first datagram that
	// stays unanswered through every try.
	Burst bool `json:"burst,omitempty"`
	// Window, with Burst, sends the datagrams in batches of Window: each
	// batch at once, and awaited before the next; the socket stops after a
	// batch that gets no reply at all. 0 means one batch. Many sockets
	// bursting together overflow the server's receive buffer, and
	// datagrams lost that way are retried, not blamed: a window keeps the
	// retries few.
	Window int `json:"window,omitempty"`
}

// UDPScript is a set of client sockets run concurrently against a UDP
// server, then judged. It is the UDP counterpart of TCPScript, and the unit
// the UDP fuzzer draws, shrinks and saves as JSON for replay.
//
// Each datagram is tried up to UDPTries times: it is sent, and sent again
// while no reply to it has arrived, each try waiting up to UDPTry (scaled)
// after the last progress. A datagram that is no socket's expected reply (a
// stray) counts as a reply for this: resending cannot mend a damaged
// reply, and a failing script stays quick to shrink. Once every request has
// a reply (the positive signal) or the tries are spent, every socket
// listens for a Quiet period for datagrams that should not come. Then, for
// each socket:
//
//   - a reply equal to want(r) for one of its requests r counts for r,
//     where want(r) is upper(r) for r up to the declared maximum
//     (Env.UDPMax) and upper(r[:max]) beyond it. Identical requests share
//     their replies by count: there may be at most as many such replies as
//     sends of requests expecting them (a retried datagram may
//     legitimately be answered once per send, never more);
//   - a reply that only another socket's request expects was misdelivered;
//   - on an unconnected socket every datagram comes from the address and
//     port the requests went to;
//   - each stray, in byte order, is paired with the request without a reply
//     that it most resembles (longest common prefix with upper(request),
//     then most bytes agreeing, then closest length) and judged as that
//     request's damaged reply; once no request lacks a reply, a stray is
//     judged against the request it resembles, or as an extra datagram if
//     it resembles none;
//   - every request left over got no reply.
//
// A datagram unanswered through all UDPTries tries counts as not answered:
// loopback can drop a datagram when a socket buffer overflows, but losing
// the same datagram or its reply six times in a row is negligibly unlikely
// where nothing floods the path, so a rule that forbids silence is not
// blamed for an ordinary loss. Bursts from many sockets at once can
// overflow the server's receive buffer: UDPSocketScript.Window keeps them
// small.
//
// Failure text is deterministic: socket and datagram indexes, sizes, the
// first differing offset with a hex excerpt of both sides; never a port or
// a time, which go to Env.Logf. Findings of one kind on one socket are one
// violation naming the first datagram and how many there were.
//
// Afterwards, unless SkipFinalProbe is set or something was already found,
// a fresh socket must still get "a" answered with "A".
type UDPScript struct {
	// ID is the requirement the script checks (a spec's), "" for a script
	// that checks whatever it meets (the fuzzers). Either way each
	// violation is reported under the requirement its symptom breaks,
	// whichever script saw it: a wrong byte is UDP-BYTES; a reply cut
	// short, or longer than the declared maximum, is UDP-SIZE; another
	// socket's reply is UDP-CONCURRENT; a duplicate, an extra datagram or
	// a reply larger than its request is UDP-ONCE; a reply from another
	// address, and the silence of a connected socket while replies come
	// from elsewhere, is UDP-SOURCE; an empty request left unanswered
	// while the socket's other requests are answered is UDP-EMPTY and any
	// other unanswered request UDP-ROUNDTRIP; a server that no longer
	// answers afterwards is UDP-SURVIVE. A script checking ID that sees
	// only violations of other requirements has not judged ID: the report
	// says it needs them.
	ID string `json:"id,omitempty"`
	// Case names the case in failure text.
	Case    string            `json:"case,omitempty"`
	Sockets []UDPSocketScript `json:"sockets"`
	// SkipFinalProbe leaves out the closing check that a fresh socket is
	// still answered.
	SkipFinalProbe bool `json:"skip_final_probe,omitempty"`
	// EndOnMarker ends the listening after the exchange on a marker
	// instead of a Quiet period: each socket that got a reply sends one
	// more datagram, a marker no request resembles, and listens until its
	// reply has come and then for MarkerQuiet more (see udpmarker.go). A
	// server answers in order more often than not, so what it sent before
	// the marker's reply has very likely come by then; anything later
	// (a duplicate sent long after) goes unseen, never blamed. The markers
	// and their replies are not judged. The fuzzers set it on most cases:
	// a case then ends in milliseconds rather than Quiet.
	EndOnMarker bool `json:"end_on_marker,omitempty"`
}

// udpWant returns the reply req must get: upper of its first max bytes.
func udpWant(req []byte, max int) []byte {
	return Upper(req[:min(len(req), max)])
}
