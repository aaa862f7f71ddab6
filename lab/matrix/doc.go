// Package matrix runs upcheck's conformance suites against a list of
// implementations and shows the results side by side, as interop runners
// do: one row per requirement, one column per implementation, each cell
// pass, fail, skip or error with what was observed, and under each column
// its summary and its suite time (the wall time of its run, a figure that
// is never judged).
//
// The list is a small JSON file (matrix.json at the module root):
//
//	{
//	  "implementations": [
//	    {"name": "reference", "command": "bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}",
//	     "note": "the Go reference servers"},
//	    {"name": "python", "command": "python3 examples/python/server.py --tcp {tcp} --udp {udp}",
//	     "requires": ["python3"]}
//	  ]
//	}
//
// Each command is a server command as UPCHECK_SERVER_CMD takes it, run from
// the module root. An implementation whose required programs are not on
// PATH is skipped, and its column says so.
//
// Run checks every implementation (several at a time, each in its own
// process and with its own report); Markdown and HTML render the result.
// The HTML page is self-contained: inline CSS, no script, nothing fetched
// from the network. Command matrix (cmd/matrix) is make matrix.
package matrix
