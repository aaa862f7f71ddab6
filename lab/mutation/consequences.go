package mutation

// consequences says, for each mutant that breaks more than one
// requirement, why its fault breaks each requirement after the first: the
// rest of its Breaks. SEMANTICS.md's "Checked by" lists give the reason
// beside the mutant's name (go generate ./lab/mutation), so that a failure
// the suites report beyond a mutant's first requirement is either
// explained here or counted as an extra failure in the mutation table.
var consequences = map[string]map[string]string{
	"WholeBuffer": {
		"TCP-ROUNDTRIP": "the first reply is followed by the rest of its 1024-byte buffer, so from the second exchange on a connection what comes back is not upper(request)",
	},
	"DropFullRead": {
		"TCP-ROUNDTRIP": "a 1024-byte request fills the buffer in one read and is dropped, so it gets no reply",
	},
	"TickerFlush": {
		"TCP-STREAM": "the replies still pending at the client's half-close are never sent, so the reply stream lacks its tail",
	},
	"CrashOnTelnetSB": {
		"TCP-EOF":        "the server dies while the reply is due, so the stream ends without it, often with a reset, instead of an orderly EOF after the last reply byte",
		"TCP-DISCONNECT": "a client that writes IAC SB and closes before any IAC SE leaves the server a read with no IAC SE in it: the server dies, and a death after a connection closed abruptly is TCP-DISCONNECT's",
		"TCP-RESET":      "a client that writes IAC SB and resets before any IAC SE kills the server the same way, and a death after a connection reset is TCP-RESET's",
	},
	"CarryUTF8Lead": {
		"TCP-BYTES": "the letter after a split lead byte comes back as it was sent, a byte a-z not uppercased",
	},
	"DieOnThirdReset": {
		"TCP-DISCONNECT": "a client that closes with its reply unread resets the connection too, and three such in a row end the server",
		"TCP-STREAM":     "when it exits, the connections still open never get the replies they are owed; resets from the network count among the three",
	},
	"DieOnReset": {
		"TCP-DISCONNECT": "a client that vanishes mid-reply makes a write fail, an error the handler returns and that ends the whole server",
	},
	"CrashOnWriteError": {
		"TCP-RESET": "a reset while the server writes a large reply makes its next write fail, and the server panics",
	},
	"UDPNeverServed": {
		"UDP-BYTES":      "a UDP side that never answers leaves no reply whose bytes could be right",
		"UDP-EMPTY":      "a UDP side that never answers leaves the empty datagram unanswered too",
		"UDP-SIZE":       "a UDP side that never answers returns no payload whole or cut",
		"UDP-SOURCE":     "a UDP side that never answers sends no reply from the address it was sent to, so a connected client gets nothing",
		"UDP-ONCE":       "a UDP side that never answers sends no reply per datagram, which the rule asks for exactly once",
		"UDP-CONCURRENT": "a UDP side that never answers answers none of several sockets",
		"UDP-SURVIVE":    "a UDP side that never answers answers no fresh socket after the events",
	},
	"UDPFirstPeer": {
		"UDP-CONCURRENT": "of several clients only the first is answered, and the others' replies land on it",
	},
	"UDPFullBuffer": {
		"UDP-ROUNDTRIP": "every reply is 8192 bytes long, so none is upper(request)",
		"UDP-EMPTY":     "the empty datagram is answered with 8192 bytes, not with an empty datagram",
	},
	"UDPStaleTail": {
		"UDP-ROUNDTRIP": "a request shorter than an earlier one comes back with the earlier reply's tail after its own uppercase",
	},
	"UDPDieOnOversize": {
		"UDP-SIZE": "a datagram over 8192 bytes, which must be answered cut to 8192, ends the server instead",
	},
}
