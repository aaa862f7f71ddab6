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

// Req is a requirement's stable ID, as CONTRACT.md names it: what a case
// checks, what a spec is labelled with, what a violation names.
type Req string

// The requirement IDs of CONTRACT.md, in SEMANTICS.md order.
const (
	ReqTCPRoundTrip  Req = "TCP-ROUNDTRIP"
	ReqTCPBytes      Req = "TCP-BYTES"
	ReqTCPStream     Req = "TCP-STREAM"
	ReqTCPEOF        Req = "TCP-EOF"
	ReqTCPReset      Req = "TCP-RESET"
	ReqTCPDisconnect Req = "TCP-DISCONNECT"
	ReqTCPConcurrent Req = "TCP-CONCURRENT"
	ReqTCPIsolation  Req = "TCP-ISOLATION"
	ReqTCPChurn      Req = "TCP-CHURN"
	ReqTCPEmptyWrite Req = "TCP-EMPTYWRITE"
	ReqUDPRoundTrip  Req = "UDP-ROUNDTRIP"
	ReqUDPBytes      Req = "UDP-BYTES"
	ReqUDPEmpty      Req = "UDP-EMPTY"
	ReqUDPSize       Req = "UDP-SIZE"
	ReqUDPSource     Req = "UDP-SOURCE"
	ReqUDPOnce       Req = "UDP-ONCE"
	ReqUDPConcurrent Req = "UDP-CONCURRENT"
	ReqUDPSurvive    Req = "UDP-SURVIVE"
)

// Requirement returns the rule r names; ok is false for an ID that names
// none.
func (r Req) Requirement() (req Requirement, ok bool) { return Lookup(string(r)) }

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
	{string(ReqTCPRoundTrip), Must, "tcp", "bytes written get their reply without the client closing or writing more"},
	{string(ReqTCPBytes), Must, "tcp", "a-z (0x61-0x7A) become A-Z; every other byte value comes back unchanged; length is kept"},
	{string(ReqTCPStream), Must, "tcp", "the whole reply stream equals upper(the whole request stream), in order, whatever the write sizes and segmentation"},
	{string(ReqTCPEOF), Must, "tcp", "after the client half-closes, every pending reply byte arrives, then an orderly close (EOF, not a reset)"},
	{string(ReqTCPReset), Must, "tcp", "a client's reset ends that connection only; other and new connections are served correctly"},
	{string(ReqTCPDisconnect), Must, "tcp", "a client that vanishes (closes without reading, mid-write, mid-reply) harms nothing else"},
	{string(ReqTCPConcurrent), Must, "tcp", "connections are served concurrently: an idle or slow client never delays another"},
	{string(ReqTCPIsolation), Must, "tcp", "many concurrent clients each receive exactly their own bytes, never another's"},
	{string(ReqTCPChurn), Must, "tcp", "the server keeps accepting through thousands of sequential and overlapping connections"},
	{string(ReqTCPEmptyWrite), Info, "tcp", "a zero-length write sends nothing and gets nothing"},
	{string(ReqUDPRoundTrip), Must, "udp", "each datagram is answered by one datagram carrying upper(payload)"},
	{string(ReqUDPBytes), Must, "udp", "the same byte mapping as TCP-BYTES, length kept"},
	{string(ReqUDPEmpty), Must, "udp", "a zero-length datagram gets a zero-length reply"},
	{string(ReqUDPSize), Must, "udp", "payloads up to the declared maximum come back whole; larger ones come back truncated to the maximum"},
	{string(ReqUDPSource), Must, "udp", "the reply comes from the address the request was sent to, and goes to the request's source"},
	{string(ReqUDPOnce), Must, "udp", "exactly one reply per datagram: no duplicates, no extra datagrams, never larger than the request"},
	{string(ReqUDPConcurrent), Must, "udp", "concurrent clients each receive only their own replies"},
	{string(ReqUDPSurvive), Must, "udp", "the server keeps answering after replies to closed ports, oversized datagrams and a bounded flood"},
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
