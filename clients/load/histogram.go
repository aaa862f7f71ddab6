package load

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram's layout: values below 2*histSub nanoseconds have a bucket
// each; above that, every power of two is split into histSub buckets of
// equal width, so a bucket is at most 1/histSub (about 3%) wide relative to
// its values, from nanoseconds to centuries, in a fixed 15 KiB.
const (
	histSubBits = 5
	histSub     = 1 << histSubBits // buckets per power of two
	histLinear  = 2 * histSub      // values with a bucket each
	histBuckets = histLinear + (64-histSubBits-1)*histSub
)

// Histogram counts durations in log-linear buckets, in the manner of HDR
// histograms: quantiles come out within about 3% of the true value, and the
// memory is fixed whatever the count. Record is safe for concurrent use and
// never allocates or locks. The zero value is ready to use.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
	sum    atomic.Int64
}

// bucketOf returns the bucket of a value in nanoseconds.
func bucketOf(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits - 1 // >= 1: v>>e is in [histSub, 2*histSub)
	return histLinear + (e-1)*histSub + int(v>>e) - histSub
}

// bucketBounds returns the lowest and highest value in bucket i.
func bucketBounds(i int) (lo, hi uint64) {
	if i < histLinear {
		return uint64(i), uint64(i)
	}
	e := (i-histLinear)/histSub + 1
	m := uint64((i-histLinear)%histSub + histSub)
	return m << e, (m+1)<<e - 1
}

// Record adds one duration; a negative one counts as 0.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(uint64(v))].Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Merge adds every count of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if n := o.counts[i].Load(); n > 0 {
			h.counts[i].Add(n)
		}
	}
	h.sum.Add(o.sum.Load())
	for m := o.max.Load(); ; {
		cur := h.max.Load()
		if m <= cur || h.max.CompareAndSwap(cur, m) {
			break
		}
	}
}

// Count returns how many durations were recorded.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Max returns the largest duration recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile returns a duration that at least q (0..1) of the recorded ones do
// not exceed: the upper end of the bucket where the q-th lies, but never
// more than Max. It is 0 when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(q*float64(n) + 0.5) // the rank-th smallest, 1-based
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			_, hi := bucketBounds(i)
			return min(time.Duration(hi), h.Max())
		}
	}
	return h.Max()
}

// Summary returns the count, mean, the usual quantiles and the maximum.
func (h *Histogram) Summary() Latency {
	n := h.Count()
	l := Latency{Count: int64(n)}
	if n == 0 {
		return l
	}
	l.Mean = time.Duration(h.sum.Load() / int64(n))
	l.P50 = h.Quantile(0.50)
	l.P90 = h.Quantile(0.90)
	l.P99 = h.Quantile(0.99)
	l.P999 = h.Quantile(0.999)
	l.Max = h.Max()
	return l
}
