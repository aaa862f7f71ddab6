// Package matrix shows the conformance reports of several implementations
// side by side, as interop runners do: one row per requirement, one column
// per implementation, each cell its status with what was observed, and
// under each column its summary and, when it was checked here, its suite
// time (the wall time of its run, a figure that is never judged).
//
// The implementations are listed in a small JSON file ([Config]; the
// module's matrix.json is one):
//
//	{
//	  "implementations": [
//	    {"name": "reference", "command": "upcheck serve -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}",
//	     "note": "the Go reference servers"},
//	    {"name": "python", "command": "python3 examples/python/server.py --tcp {tcp} --udp {udp}",
//	     "requires": ["python3"], "expect_fail": "UDP-SOURCE"}
//	  ]
//	}
//
// Each command is a server command as UPCHECK_SERVER_CMD takes it. An
// implementation whose required programs are not on PATH is skipped, and
// its column says so.
//
// A matrix comes from either of two places:
//
//   - [Run] checks every implementation of a Config, each with its own
//     report, through a [Check] function its caller gives: upcheck matrix
//     runs its own binary's check, the lab's make matrix the suites' test
//     binary.
//   - [FromDir] reads reports made elsewhere, one JSON report per
//     implementation named after its file (NAME.json), as the jobs of a CI
//     matrix leave them.
//
// [Markdown] and [HTML] render it; the HTML page is report.HTML's,
// self-contained: inline CSS, no script, nothing fetched from the network.
// [ExitStatus] is the verdict of the whole matrix.
package matrix
