package fuzz

import (
	"time"

	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
)

// Limits of the drawn UDP network faults: a drop costs a resend at once
// (the network reports it), and a delay or a reordering a few
// milliseconds, so a case through the network stays quick.
const (
	maxUDPDropPct    = 10
	maxUDPDupPct     = 10
	maxUDPReorderPct = 20
	maxUDPDelay      = 2 * time.Millisecond
)

// DatagramFaultsGen draws the faults of one direction of a UDP network:
// the share of datagrams dropped, duplicated and reordered, and the
// longest delay. Everything shrinks toward no fault.
func DatagramFaultsGen() *rapid.Generator[check.DatagramFaults] {
	return rapid.Custom(func(t *rapid.T) check.DatagramFaults {
		return check.DatagramFaults{
			Drop:      rapid.IntRange(0, maxUDPDropPct).Draw(t, "drop_pct"),
			Duplicate: rapid.IntRange(0, maxUDPDupPct).Draw(t, "duplicate_pct"),
			Reorder:   rapid.IntRange(0, maxUDPReorderPct).Draw(t, "reorder_pct"),
			Delay:     time.Duration(rapid.Int64Range(0, int64(maxUDPDelay/time.Microsecond)).Draw(t, "delay_us")) * time.Microsecond,
		}
	})
}

// UDPNetFaultsGen draws the faults of a UDP network between the clients
// and the server, each direction's on its own, and the seed of each
// datagram's fate.
func UDPNetFaultsGen() *rapid.Generator[check.UDPNetFaults] {
	return rapid.Custom(func(t *rapid.T) check.UDPNetFaults {
		return check.UDPNetFaults{
			Seed: rapid.Int64Range(0, 1<<20).Draw(t, "seed"),
			Up:   DatagramFaultsGen().Draw(t, "up"),
			Down: DatagramFaultsGen().Draw(t, "down"),
		}
	})
}
