package target

import "strings"

// OutputLines is how many of a server command's last output lines an error
// carries.
const OutputLines = 10

// HarnessError means the harness could not judge: a bad setting, a target
// that is not there, a server command that never came up. It is never a
// verdict on the server; the report calls it "error", not "fail".
//
// Error is one line ("UPCHECK_TCP: nothing answers at 127.0.0.1:9
// (connection refused)"); the server command's last lines of output, when
// there is a command, are kept apart in Output.
type HarnessError struct {
	// Setting is the setting at fault as the user gave it ("UPCHECK_TCP",
	// or "-tcp" when the flag set it); "" when none is.
	Setting string
	// Msg says what is wrong, in one line.
	Msg string
	// Output is the last lines of the server command's output, "" if none.
	Output string
	// Err is the underlying cause, if any.
	Err error
}

func (e *HarnessError) Error() string {
	if e.Setting == "" {
		return e.Msg
	}
	return e.Setting + ": " + e.Msg
}

func (e *HarnessError) Unwrap() error { return e.Err }

// DownError is Healthy's verdict on the check that just ran: the server went
// away while it was being checked (a server command exited, or a server
// stopped listening). The check's requirement fails; Restarted says whether
// a fresh server is up for the next check.
type DownError struct {
	// ID is the requirement that was being checked.
	ID string
	// Reason says how the server went away: "exited (status 3)",
	// "exited (signal 9: killed)", "stopped listening on tcp (connection
	// refused)", "stopped serving new connections (each ended unanswered:
	// EOF)".
	Reason string
	// Unserved is true when the server still ran and listened, but ended
	// every new connection unanswered.
	Unserved bool
	// Output is the last lines the server command wrote before it went
	// away, "" if none.
	Output string
	// Restarted is true when the harness started the command again and it
	// answers.
	Restarted bool
	// Restart, when not nil, is why the harness could not bring the server
	// back: the following checks cannot be judged.
	Restart *HarnessError
}

// Headline is the first line of Error: "server exited (status 3) while
// checking TCP-EOF".
func (e *DownError) Headline() string {
	h := "server " + e.Reason + " while checking " + e.ID
	if e.Restart != nil {
		h += "; it could not be restarted: " + e.Restart.Error()
	}
	return h
}

// Error is the headline followed by the server's last output lines, indented.
func (e *DownError) Error() string {
	if e.Output == "" {
		return e.Headline()
	}
	return e.Headline() + "; its last output:\n" + indent(e.Output, "    ")
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
