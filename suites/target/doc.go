// Package target points upcheck's harness at an implementation: it reads the
// settings of CONTRACT.md ("Pointing the harness at an implementation") from
// the environment and from flags, validates them with one-line errors that
// name the setting, and starts the target they describe:
//
//   - no settings: the reference servers of servers/serverstest, in process;
//   - UPCHECK_SERVER_CMD: a shell command, given free ports through its {tcp}
//     and {udp} placeholders, run in its own process group with its output
//     kept, restarted when it dies, and stopped (with its whole group) at the
//     end; a supervisor (the harness binary started again, see supervisor.go)
//     ends it and all it forked when the harness ends, however it ends;
//   - UPCHECK_TCP / UPCHECK_UDP: servers that are already running.
//
// UPCHECK_HOST says where on loopback the first two listen: 127.0.0.1 by
// default, ::1 for IPv6. The harness picks the ports there, fills a
// command's {host} with it and dials it; its unconnected UDP sockets are on
// it too (clients.ListenUDP), so that runs on different addresses of
// 127.0.0.0/8 never receive each other's datagrams.
//
// Every target gets a pre-flight probe ("a" must come back as "A"). The probe
// tells "the target is not there" (a *HarnessError: the harness cannot judge)
// from "the target answers, wrongly" (a verdict the specs will give): the
// latter does not stop Start; Target.Probe says what was observed.
//
// The ginkgo suites, the fuzzers and the tools all share this package, so a
// setting means the same thing everywhere. A typical use:
//
//	s, err := target.FromEnv()
//	if err != nil { ... }           // one line, names the variable
//	s.RegisterFlags(flag.CommandLine)
//	flag.Parse()
//	t, err := target.Start(ctx, s, logger)
//	if err != nil { ... }           // *HarnessError: bad setting or target not there
//	defer t.Close()
//	... run a check against t.Env(logf) ... // afresh for every check: a restart may move the ports
//	if err := t.Healthy("TCP-EOF"); err != nil { ... } // the server died during the check
//
// Settings.Environ and Settings.Args give the settings back as the
// variables and flags that FromEnv and RegisterFlags read, for a runner that
// hands the target to another program. Target.Share and Follow show one
// running target to several processes (a parallel ginkgo run): each asks
// its Follower for the Env, which follows the restarts the first process
// makes.
package target
