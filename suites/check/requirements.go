package check

// Level says how a requirement's failure counts: a MUST failure fails the
// run, a SHOULD failure is reported without failing it, INFO is an
// observation.
type Level string

// The levels of SEMANTICS.md.
const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
	Info   Level = "INFO"
)

// Requirement is one rule of SEMANTICS.md, named by the stable ID of
// CONTRACT.md.
type Requirement struct {
	ID    string
	Level Level
	Proto string // "tcp" or "udp"
	Rule  string // the rule, in short
}

// Requirements lists every requirement in SEMANTICS.md order, the order of
// the conformance report.
var Requirements = []Requirement{
	{"TCP-ROUNDTRIP", Must, "tcp", "bytes written get their reply without the client closing or writing more"},
	{"TCP-BYTES", Must, "tcp", "a-z (0x61-0x7A) become A-Z; every other byte value comes back unchanged; length is kept"},
	{"TCP-STREAM", Must, "tcp", "the whole reply stream equals upper(the whole request stream), in order, whatever the write sizes and segmentation"},
	{"TCP-EOF", Must, "tcp", "after the client half-closes, every pending reply byte arrives, then an orderly close (EOF, not a reset)"},
	{"TCP-RESET", Must, "tcp", "a client's reset ends that connection only; other and new connections are served correctly"},
	{"TCP-DISCONNECT", Must, "tcp", "a client that vanishes (closes without reading, mid-write, mid-reply) harms nothing else"},
	{"TCP-CONCURRENT", Must, "tcp", "connections are served concurrently: an idle or slow client never delays another"},
	{"TCP-ISOLATION", Must, "tcp", "many concurrent clients each receive exactly their own bytes, never another's"},
	{"TCP-CHURN", Must, "tcp", "the server keeps accepting through thousands of sequential and overlapping connections"},
	{"TCP-EMPTYWRITE", Info, "tcp", "a zero-length write sends nothing and gets nothing"},
	{"UDP-ROUNDTRIP", Must, "udp", "each datagram is answered by one datagram carrying upper(payload)"},
	{"UDP-BYTES", Must, "udp", "the same byte mapping as TCP-BYTES, length kept"},
	{"UDP-EMPTY", Must, "udp", "a zero-length datagram gets a zero-length reply"},
	{"UDP-SIZE", Must, "udp", "payloads up to the declared maximum come back whole; larger ones come back truncated to the maximum"},
	{"UDP-SOURCE", Must, "udp", "the reply comes from the address the request was sent to, and goes to the request's source"},
	{"UDP-ONCE", Must, "udp", "exactly one reply per datagram: no duplicates, no extra datagrams, never larger than the request"},
	{"UDP-CONCURRENT", Must, "udp", "concurrent clients each receive only their own replies"},
	{"UDP-SURVIVE", Must, "udp", "the server keeps answering after replies to closed ports, oversized datagrams and a bounded flood"},
}

// Lookup returns the requirement with the given ID.
func Lookup(id string) (Requirement, bool) {
	for _, r := range Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}
