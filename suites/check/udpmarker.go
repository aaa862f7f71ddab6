package check

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// End markers: a script with EndOnMarker ends each socket's listening on
// a positive signal instead of a Quiet period. After the exchange, each
// socket sends its marker, a datagram unlike any request of the script,
// and listens until the marker's reply has come, then for MarkerQuiet
// more. A server that answers datagrams in the order they come (most do:
// one loop reading one socket) has sent every reply, duplicate and extra
// of the script before the marker's reply, and the kernel delivers them in
// that order; a server that answers out of order gets MarkerQuiet for its
// stragglers, and what comes later is not seen. Missing a datagram only
// ever misses a violation: every reply the script needed was awaited
// before, through its tries, and a marker left unanswered is no finding.
//
// A marker is uppercase ASCII, so that its reply is itself; any datagram
// that holds a marker of the script, in any case, is taken for the
// marker's reply (one padded with leftovers, or behind a header, included)
// and set apart from what the judge reads: a marker is no request of the
// script, and a server that mangles it has shown as much on the script's
// own requests.

// markerTries is how many times a marker is sent: each try waits
// Quiet/markerTries, so a marker never answered costs a Quiet period, as
// listening without one does.
const markerTries = 3

// udpMarkers returns the end marker of each socket of s, or nil when s
// listens for a Quiet period instead: s does not end on markers, or the
// declared maximum payload max would cut them. No request of s holds a
// marker, in any case.
func udpMarkers(s UDPScript, max int) [][]byte {
	if !s.EndOnMarker {
		return nil
	}
	for salt := range maxMarkerSalt {
		ms := make([][]byte, len(s.Sockets))
		for i := range ms {
			ms[i] = fmt.Appendf(nil, "UPCHECK END MARKER %d.%d", i, salt)
			if len(ms[i]) > max {
				return nil
			}
		}
		if !anyHoldsMarker(s, ms) {
			return ms
		}
	}
	// Requests made of markers: listen for Quiet.
	return nil
}

// maxMarkerSalt bounds the markers tried for a script.
const maxMarkerSalt = 100

// anyHoldsMarker reports whether a request of s holds one of markers, in
// any case.
func anyHoldsMarker(s UDPScript, markers [][]byte) bool {
	for _, ss := range s.Sockets {
		for _, d := range ss.Datagrams {
			if markerOf(d, markers) >= 0 {
				return true
			}
		}
	}
	return false
}

// markerOf returns the index of the marker d holds, in any case, or -1.
func markerOf(d []byte, markers [][]byte) int {
	if len(markers) == 0 {
		return -1
	}
	u := Upper(d)
	for i, m := range markers {
		if bytes.Contains(u, m) {
			return i
		}
	}
	return -1
}

// splitMarkers returns got without the replies to markers, and how many
// there were.
func splitMarkers(got []clients.Datagram, markers [][]byte) ([]clients.Datagram, int) {
	if len(markers) == 0 {
		return got, 0
	}
	var kept []clients.Datagram
	n := 0
	for _, d := range got {
		if markerOf(d.Data, markers) >= 0 {
			n++
			continue
		}
		kept = append(kept, d)
	}
	return kept, n
}

// settle listens for what the server sends after the exchange: until the
// socket's marker is answered and then MarkerQuiet more, or, for a script
// without markers, a Quiet period.
func (r *udpRun) settle(ctx context.Context) {
	if r.markers == nil {
		r.quiet(ctx)
		return
	}
	start := time.Now()
	marker := r.markers[r.idx]
	answered := func(ds []clients.Datagram) bool {
		for _, d := range ds {
			if markerOf(d.Data, r.markers) == r.idx {
				return true
			}
		}
		return false
	}
	got := false
	for try := 0; try < markerTries && !got && ctx.Err() == nil; try++ {
		if err := r.conn.Send(marker); err != nil {
			r.e.logf("udp socket %d: sending the end marker failed: %v", r.idx, err)
		}
		tctx, cancel := r.e.within(ctx, Quiet/markerTries)
		got = r.recv.WaitUntil(tctx, answered)
		cancel()
	}
	if !got {
		r.e.logf("udp socket %d: end marker unanswered after %v", r.idx, time.Since(start).Round(time.Millisecond))
		return
	}
	qctx, cancel := r.e.within(ctx, ReplyTimeout)
	defer cancel()
	r.recv.Quiet(qctx, r.e.T(MarkerQuiet))
}
