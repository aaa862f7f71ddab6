package clients

import "fmt"

// End says how a stream ended.
type End int

const (
	EndEOF     End = iota // orderly close (FIN)
	EndReset              // ECONNRESET / EPIPE
	EndTimeout            // deadline or ctx ended before the stream did
	EndLimit              // more than limit bytes arrived: reading stopped
	EndError              // any other error
)

// String returns "EOF", "reset", "timeout", "limit" or "error".
func (e End) String() string {
	switch e {
	case EndEOF:
		return "EOF"
	case EndReset:
		return "reset"
	case EndTimeout:
		return "timeout"
	case EndLimit:
		return "limit"
	case EndError:
		return "error"
	}
	return fmt.Sprintf("End(%d)", int(e))
}

// Result is what a read to the end saw.
type Result struct {
	Data     []byte // at most limit bytes, in order
	Total    int64  // bytes received in all, including any beyond limit
	End      End
	Err      error // the error behind End (nil for EndEOF)
	WriteErr error // Exchange only: the error that stopped writing, if any
}
