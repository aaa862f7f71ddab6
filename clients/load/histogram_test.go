package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestHistogramQuantilesWithinThreePercent(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 100_000 {
		// Log-uniform from 1 µs to 1 s, as latencies spread.
		d := time.Duration(math.Exp(r.Float64()*math.Log(1e6)) * 1e3)
		all = append(all, d)
		h.Record(d)
	}
	slices.Sort(all)
	if h.Count() != uint64(len(all)) || h.Max() != all[len(all)-1] {
		t.Fatalf("count %d, max %v; want %d, %v", h.Count(), h.Max(), len(all), all[len(all)-1])
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(math.Ceil(q*float64(len(all))))-1]
		got := h.Quantile(q)
		if got < exact || float64(got) > float64(exact)*1.035 {
			t.Errorf("quantile %v = %v, exact %v: want at least it and within 3.5%% of it", q, got, exact)
		}
	}
	s := h.Summary()
	if s.Count != int64(len(all)) || s.P50 > s.P90 || s.P90 > s.P99 || s.P99 > s.P999 || s.P999 > s.Max || s.Mean <= 0 {
		t.Fatalf("summary %+v is not ordered", s)
	}
}

func TestHistogramSmallValuesExact(t *testing.T) {
	var h Histogram
	for v := range 64 {
		h.Record(time.Duration(v))
	}
	h.Record(-5) // counts as 0
	if got := h.Quantile(0.5); got != 31 {
		t.Fatalf("median of 0..63 and 0 = %v, want 31ns", got)
	}
	if got := h.Quantile(1); got != 63 {
		t.Fatalf("max quantile = %v, want 63ns", got)
	}
}

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1 << 20, 1<<20 + 12345, math.MaxInt64} {
		i := bucketOf(v)
		lo, hi := bucketBounds(i)
		if i < 0 || i >= histBuckets || v < lo || v > hi {
			t.Fatalf("value %d in bucket %d [%d, %d]", v, i, lo, hi)
		}
		if hi-lo > lo/histSub+1 {
			t.Fatalf("bucket %d [%d, %d] is wider than 1/%d of its values", i, lo, hi, histSub)
		}
	}
}

func TestHistogramEmptyAndMerge(t *testing.T) {
	var a, b Histogram
	if a.Quantile(0.5) != 0 || a.Summary() != (Latency{}) {
		t.Fatal("an empty histogram has a quantile")
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 1000 {
				b.Record(time.Duration(i*1000+j) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	a.Record(time.Hour)
	a.Merge(&b)
	if a.Count() != 4001 || a.Max() != time.Hour {
		t.Fatalf("merged count %d, max %v; want 4001, 1h", a.Count(), a.Max())
	}
}

func TestUpperIsBytesUpper(t *testing.T) {
	for v := range 256 {
		c := byte(v)
		want := c
		if c >= 'a' && c <= 'z' {
			want = c - 32
		}
		if Upper(c) != want {
			t.Fatalf("Upper(0x%02x) = 0x%02x, want 0x%02x", c, Upper(c), want)
		}
	}
}

func TestPatternHasEveryByteValueAndMostlyLetters(t *testing.T) {
	p := newPattern(100, false)
	seen := map[byte]bool{}
	letters := 0
	for i, c := range p.send[:p.period] {
		seen[c] = true
		if c >= 'a' && c <= 'z' {
			letters++
		}
		if p.want[i] != Upper(c) || p.send[p.period+i] != c {
			t.Fatalf("pattern byte %d: send %q, want %q, repeat %q", i, c, p.want[i], p.send[p.period+i])
		}
	}
	if len(seen) != 256 || letters < p.period*7/10 {
		t.Fatalf("%d byte values, %d of %d lowercase letters: want all 256 and about 3/4 letters", len(seen), letters, p.period)
	}
	send, want := p.at(3, int64(p.period)-10, 100) // runs over the period's end
	for i := range send {
		if want[i] != Upper(send[i]) {
			t.Fatalf("window byte %d: %q owed for %q", i, want[i], send[i])
		}
	}
}
