package upperload

import (
	"fmt"
	"strings"
	"time"

	"github.com/upcheck/upcheck/clients/load"
)

// progressLine is the line written to standard error every second.
func progressLine(name string, mode load.Mode, s load.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %5s  %9.2f MB/s  %9.0f msg/s  open %d  errors %d",
		name, s.Elapsed.Round(time.Second), s.MBps, s.MsgPerSec, s.Open, s.Errors.Total())
	if n := s.Errors[load.Mismatch]; n > 0 {
		fmt.Fprintf(&b, " (mismatch %d)", n)
	}
	switch mode {
	case load.UDP:
		fmt.Fprintf(&b, "  lost %d", s.Lost)
	case load.IdleHold:
		fmt.Fprintf(&b, "  died %d", s.Died)
	}
	return b.String()
}

// what names a message of each mode in the summary.
var what = map[load.Mode]string{
	load.Bulk:     "chunks",
	load.ReqResp:  "round trips",
	load.Churn:    "connections",
	load.IdleHold: "checks",
	load.UDP:      "round trips",
}

// summary is the text written to standard output at the end.
func summary(name, target string, r load.Result) string {
	var b strings.Builder
	conns := "connections"
	if r.Mode == load.UDP {
		conns = "sockets"
	} else if r.Mode == load.Churn {
		conns = "workers"
	}
	fmt.Fprintf(&b, "%s: %s, %d %s, %d-byte messages, against %s\n", name, r.Mode, r.Conns, conns, r.Size, target)
	fmt.Fprintf(&b, "elapsed     %.2fs", r.Elapsed.Seconds())
	if r.Interrupted {
		b.WriteString(" (interrupted: the figures are those of the run so far)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "throughput  %.2f MB/s  %.0f msg/s  (%d %s, %d bytes verified)\n",
		r.MBps, r.MsgPerSec, r.Messages, what[r.Mode], r.BytesReceived)
	l := r.Latency
	fmt.Fprintf(&b, "latency     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		dur(l.P50), dur(l.P90), dur(l.P99), dur(l.P999), dur(l.Max))
	b.WriteString("errors     ")
	for k := load.Kind(0); k <= load.Other; k++ {
		fmt.Fprintf(&b, " %s %d", k, r.Errors[k])
	}
	b.WriteString("\n")
	switch r.Mode {
	case load.UDP:
		fmt.Fprintf(&b, "udp         lost %d  late %d\n", r.Lost, r.Late)
	case load.IdleHold:
		fmt.Fprintf(&b, "idle-hold   held %d of %d, died %d\n", r.Held, r.Conns, r.Died)
	}
	if r.FirstMismatch != "" {
		fmt.Fprintf(&b, "mismatch    %s\n", r.FirstMismatch)
	}
	fmt.Fprintf(&b, "result      %s\n", status(r))
	return b.String()
}

// dur prints a latency with three significant digits.
func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
