package mutants

// constructors lists every faulty server: the mutants grouped by the
// requirement each breaks first, then the hostile servers.
var constructors = []func() *Mutant{
	// TCP-ROUNDTRIP
	LineBuffered, FillBuffer, BufferUntilEOF,
	// TCP-BYTES
	UnicodeUpper, RuneUpper, OffByOneZ,
	// TCP-STREAM
	WholeBuffer, DropFullRead,
	// TCP-EOF
	NoCloseOnEOF, ResetOnEOF, TickerFlush,
	// a crash only a fuzzer finds
	CrashOnTelnetSB,
	// TCP-RESET, TCP-DISCONNECT
	DieOnReset, CrashOnWriteError,
	// TCP-CONCURRENT, TCP-ISOLATION, TCP-CHURN
	Serial, LockedRead, RouteByIP, ConnLimitLeak,
	// UDP
	UDPFirstPeer, UDPNeverServed, UDPUnicodeUpper, UDPSkipEmpty,
	UDPSmallBuffer, UDPOffByOneMax, UDPNoTruncate,
	UDPNewSocket, UDPTwice, UDPGreeting, UDPFullBuffer, UDPStaleTail,
	UDPLastPeer, UDPPreviousPeer,
	UDPDieOnOversize, UDPFixedLog, UDPDieOnUnreachable,
	// faults only a sequence finds
	CarryUTF8Lead, ScanGuardReset, DieOnThirdReset, UDPSessionMute,

	// hostile TCP servers
	NeverAccept, BacklogFull, Silent, Endless, Trickle, Garbage,
	CloseAtOnce, ResetAtOnce,
	func() *Mutant { return DieAfter(DefaultDieAfter) },
	func() *Mutant { return StallAfter(DefaultStallAfter) },
	func() *Mutant { return DeafAfter(DefaultDeafAfter) },
	// hostile UDP servers
	Mute, Flood,
	func() *Mutant { return MuteAfter(DefaultMuteAfter) },
}

// The counts of DieAfter and StallAfter in All and ByName: past the
// connections a run of the suites makes before it checks TCP-CHURN, well
// within those TCP-CHURN makes.
const (
	DefaultDieAfter   = 100
	DefaultStallAfter = 300
)

// The counts of DeafAfter and MuteAfter in All and ByName: each serves the
// harness's start-up probe, and nothing after it.
const (
	DefaultDeafAfter = 1
	DefaultMuteAfter = 1
)

// All returns a new, unstarted instance of every faulty server: the
// mutants, grouped by the requirement each breaks first, then the hostile
// servers.
func All() []*Mutant {
	ms := make([]*Mutant, len(constructors))
	for i, c := range constructors {
		ms[i] = c()
	}
	return ms
}

// ByName returns a new, unstarted instance of the faulty server with that
// name, or nil and false.
func ByName(name string) (*Mutant, bool) {
	for _, c := range constructors {
		if m := c(); m.Name == name {
			return m, true
		}
	}
	return nil, false
}
