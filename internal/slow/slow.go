// Package slow scales the time bounds of upcheck's own tests for a slow
// machine, by one factor: UPCHECK_TIME_SCALE, the knob that multiplies
// every timeout of the harness (CONTRACT.md), read once. The factor is
// never below 1: a machine that is slow makes a bound longer, a small
// time scale never makes one shorter. Every upper bound a test puts on how
// long something may take goes through Bound; lower bounds (something took
// at least its delay) need none.
package slow

import (
	"os"
	"strconv"
	"sync"
	"time"
)

// Env is the variable that holds the factor.
const Env = "UPCHECK_TIME_SCALE"

var factor = sync.OnceValue(func() float64 {
	f, err := strconv.ParseFloat(os.Getenv(Env), 64)
	if err != nil || !(f > 1) || f > 1000 {
		return 1
	}
	return f
})

// Factor returns the factor bounds are scaled by: UPCHECK_TIME_SCALE when
// it is a number above 1 (and at most 1000), else 1.
func Factor() float64 { return factor() }

// Bound returns d scaled by Factor.
func Bound(d time.Duration) time.Duration { return time.Duration(float64(d) * Factor()) }
