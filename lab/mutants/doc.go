// Package mutants holds deliberately faulty uppercase servers, in one
// shape (a [Mutant]), one registry ([All], [ByName]) and one daemon
// (lab/cmd/mutantd). They are the faults a conformance harness must find,
// as testing/iotest's readers are the faults an io consumer must survive.
//
// Most are mutants: each breaks a requirement of SEMANTICS.md the way real
// code does, so that upcheck's suites and fuzzers can prove they catch it
// (lab/mutation runs them). Each is written as the bug is written in
// practice: its code is a plain server loop with the mistake in it, not
// the reference with a switch. The rest are hostile servers ([Mutant.Hostile]):
// they break no single requirement but misbehave as no check can expect,
// to prove the harness itself robust (lab/hostile runs them); their
// Purpose says what they test of it.
//
// Every server is faulty on one protocol only; Start serves a correct
// reference server (package servers) for the other one, so that only its
// own fault shows. It runs in process on loopback with Start and Close, as
// servers/serverstest does, or as a separate process with mutantd. A server
// whose fault is to die (a handler that panics, a serve loop that returns
// on the first error) stops everything it serves, as the process would,
// and says why in Err.
//
// The mutants, by the requirement each breaks first:
//
//   - TCP-ROUNDTRIP: [LineBuffered], [FillBuffer], [BufferUntilEOF]
//   - TCP-BYTES: [UnicodeUpper], [RuneUpper], [OffByOneZ]
//   - TCP-STREAM: [WholeBuffer], [DropFullRead], [CrashOnTelnetSB] (a crash only a fuzzer finds)
//   - TCP-EOF: [NoCloseOnEOF], [ResetOnEOF], [TickerFlush]
//   - TCP-RESET, TCP-DISCONNECT: [DieOnReset], [CrashOnWriteError]
//   - TCP-CONCURRENT, TCP-ISOLATION, TCP-CHURN: [Serial], [LockedRead], [RouteByIP], [ConnLimitLeak]
//   - UDP-ROUNDTRIP, UDP-BYTES, UDP-EMPTY: [UDPFirstPeer], [UDPNeverServed], [UDPUnicodeUpper], [UDPSkipEmpty]
//   - UDP-SIZE: [UDPSmallBuffer], [UDPOffByOneMax], [UDPNoTruncate]
//   - UDP-SOURCE: [UDPNewSocket]
//   - UDP-ONCE: [UDPTwice], [UDPGreeting], [UDPFullBuffer], [UDPStaleTail]
//   - UDP-CONCURRENT: [UDPLastPeer], [UDPPreviousPeer]
//   - UDP-SURVIVE: [UDPDieOnOversize], [UDPFixedLog], [UDPDieOnUnreachable]
//
// The stateful mutants, whose fault only a sequence no spec makes
// triggers, so that only a fuzzer finds them:
//
//   - TCP-STREAM: [CarryUTF8Lead] (a lead byte ending one read, a letter
//     starting the next)
//   - TCP-EOF: [ScanGuardReset] (three silent connections at once, one of
//     which half-closes)
//   - TCP-RESET: [DieOnThirdReset] (three connections in a row ending in a
//     reset)
//   - UDP-ROUNDTRIP: [UDPSessionMute] (an empty datagram, then one starting
//     with 0x00, from one source)
//
// The hostile servers:
//
//   - TCP: [NeverAccept], [BacklogFull], [Silent], [Endless], [Trickle],
//     [Garbage], [CloseAtOnce], [ResetAtOnce], [DieAfter], [StallAfter],
//     [DeafAfter]
//   - UDP: [Mute], [Flood], [MuteAfter]
package mutants
