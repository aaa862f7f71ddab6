package faultproxy

import "fmt"

// EventKind says what an Event reports.
type EventKind int

const (
	// SegmentWritten: the Size bytes of a segment starting at Offset have
	// been written. A segment cut short by the end of the direction (EOF,
	// reset, stall or close) is reported with the bytes it got.
	SegmentWritten EventKind = iota
	// HalfClosed: the source side ended the direction (EOF) after Offset
	// bytes, and the proxy shut down its writing half toward the other.
	HalfClosed
	// ResetInjected: the direction reached its ResetAt offset and the
	// proxy reset both sides.
	ResetInjected
	// ResetPassed: a side of the direction reset the connection (or a
	// read or write on it failed) after Offset bytes, and the proxy reset
	// the other side.
	ResetPassed
	// Stalled: the direction reached its StallAt offset and stopped.
	Stalled
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case SegmentWritten:
		return "segment"
	case HalfClosed:
		return "half-close"
	case ResetInjected:
		return "reset-injected"
	case ResetPassed:
		return "reset-passed"
	case Stalled:
		return "stalled"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something that happened to one direction of one connection, as
// Config.Trace receives it.
type Event struct {
	// Conn is the connection's index, counted from 0 in accept order.
	Conn int
	// Dir is the direction the event belongs to.
	Dir  Direction
	Kind EventKind
	// Offset is the direction's byte offset: where a segment starts, or
	// how many bytes had been relayed when the event happened.
	Offset int64
	// Size is a segment's size in bytes; 0 for other kinds.
	Size int
}
