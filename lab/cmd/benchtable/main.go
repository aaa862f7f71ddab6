// Command benchtable prints the one table of make bench: for every
// benchmark of the reference servers, the median of each figure for the
// reference and for its baseline, their ratio, the target for it
// and whether it is met.
//
//	benchtable -go go.txt -load loaddir
//
// -go is the output of one or more go test -bench runs of lab/perf
// and of BenchmarkUpper (servers), concatenated; each run must measure a
// baseline and the reference back to back (bench.sh runs them with -count
// 1, several times over), so that the ratio of run i compares figures
// taken under the same conditions: the table gives the median of those
// per-run ratios, which a busy machine disturbs far less than the figures
// themselves.
//
// -load is a directory of upperload -json results, one subdirectory per
// target (reference, python), named MODE-N.json; the table compares each
// target with the reference.
//
// Exit status: 0 when the table is printed (whether targets are met or
// not: the table says), 2 when an input cannot be read.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	goFile := flag.String("go", "", "go test -bench output (lab/perf and BenchmarkUpper)")
	loadDir := flag.String("load", "", "directory of upperload -json results, a subdirectory per target")
	flag.Parse()
	if *goFile == "" && *loadDir == "" {
		fmt.Fprintln(os.Stderr, "benchtable: give -go and/or -load (see benchtable -h)")
		os.Exit(2)
	}
	var rows []row
	if *goFile != "" {
		f, err := os.Open(*goFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
			os.Exit(2)
		}
		rows = append(rows, goRows(parseBench(f))...)
		f.Close()
	}
	if *loadDir != "" {
		lr, err := loadRows(*loadDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
			os.Exit(2)
		}
		rows = append(rows, lr...)
	}
	printTable(os.Stdout, rows)
}

// results maps a benchmark (its name without the server= element and
// the GOMAXPROCS suffix) and a server to each metric's values, one per
// run, in the order of the runs.
type results map[string]map[string]map[string][]float64

// parseBench reads go test -bench output.
func parseBench(r io.Reader) results {
	res := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		server := ""
		var parts []string
		for _, p := range strings.Split(name, "/") {
			if v, ok := strings.CutPrefix(p, "server="); ok {
				server = v
			} else if v, ok := strings.CutPrefix(p, "impl="); ok {
				server = v
			} else {
				parts = append(parts, p)
			}
		}
		key := strings.TrimPrefix(strings.Join(parts, " "), "Benchmark")
		if res[key] == nil {
			res[key] = map[string]map[string][]float64{}
		}
		if res[key][server] == nil {
			res[key][server] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res[key][server][f[i+1]] = append(res[key][server][f[i+1]], v)
		}
	}
	return res
}

// row is one line of the table.
type row struct {
	bench, metric  string
	ref, base      float64 // medians; base is NaN-free 0 when there is none
	baseName       string
	ratio          float64 // median of the per-run ratios ref/base; 0 when none
	target         string
	met            string // "yes", "NO", or "" when there is no target
	higherIsBetter bool
}

// check is a target on a ratio or on the reference's own figure.
type check struct {
	metric string
	ratio  bool    // the target is on ref/base, not on the figure
	min    float64 // the figure (or ratio) must be at least min
	max    float64 // ... or at most max (when not 0)
	text   string
}

// targets are issue 6's targets, by benchmark (a prefix of its key).
var targets = []struct {
	prefix string
	checks []check
}{
	{"TCPBulk conns=64", []check{{metric: "MB/s", ratio: true, min: 0.95, text: ">= 0.95"}}},
	{"TCPBulk", []check{{metric: "MB/s", ratio: true, min: 0.90, text: ">= 0.90"}}},
	{"TCPReqResp", []check{
		{metric: "rtt/s", ratio: true, min: 0.90, text: ">= 0.90"},
		{metric: "p50-us", ratio: true, max: 1.10, text: "<= 1.10"},
		{metric: "p99-us", ratio: true, max: 1.10, text: "<= 1.10"},
	}},
	{"UDP", []check{{metric: "rtt/s", ratio: true, min: 0.90, text: ">= 0.90"}}},
	{"IdleMemory", []check{{metric: "rss-B/conn", max: 10240, text: "< 10 KiB"}}},
	{"UpperCPU", []check{{metric: "cpu-MB/s", min: 4000, text: ">= 4000 (swar)"}}},
	{"Upper", []check{{metric: "MB/s", min: 4000, text: ">= 4000 (swar)"}}},
}

// shown lists the metrics the table shows, in order; others stay in the
// raw output and benchstat's.
var shown = []string{"MB/s", "cpu-MB/s", "rtt/s", "conns/s", "p50-us", "p99-us", "loss-%", "cpu-ns/op", "rss-B/conn", "heap+stack-B/conn", "retained-B"}

// baselines are the servers compared with the reference, in order of
// preference.
var baselines = []string{"plainecho", "udpecho", "copyonly"}

func goRows(res results) []row {
	var rows []row
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := benchOrder(a) - benchOrder(b); d != 0 {
			return d
		}
		return naturalCompare(a, b)
	})
	for _, key := range keys {
		servers := res[key]
		refName := "reference"
		if _, ok := servers["swar"]; ok {
			refName = "swar" // BenchmarkUpper: the portable code is what has a target
		}
		ref := servers[refName]
		if ref == nil {
			continue
		}
		baseName := ""
		for _, b := range baselines {
			if servers[b] != nil {
				baseName = b
				break
			}
		}
		base := servers[baseName]
		for _, m := range shown {
			rv, ok := ref[m]
			if !ok {
				continue
			}
			r := row{bench: key, metric: m, ref: median(rv), baseName: baseName}
			if base != nil && !noRatio[m] {
				if bv, ok := base[m]; ok {
					r.base = median(bv)
					r.ratio = pairedRatio(rv, bv)
				}
			}
			applyTargets(&r, key)
			rows = append(rows, r)
		}
		if refName == "swar" {
			if u := servers["UpperASCII"]; u != nil {
				for _, m := range []string{"MB/s", "cpu-MB/s"} {
					if _, ok := u[m]; ok {
						rows = append(rows, row{bench: key + " (UpperASCII)", metric: m, ref: median(u[m]), baseName: baseName,
							base: median(base[m]), ratio: pairedRatio(u[m], base[m])})
					}
				}
			}
		}
	}
	return rows
}

// naturalCompare orders strings with the numbers in them compared as
// numbers: conns=8 before conns=64.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return na - nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

// digits is the length of the run of digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// noRatio lists the metrics whose ratio means nothing.
var noRatio = map[string]bool{"retained-B": true, "loss-%": true}

// benchOrder puts the table's sections in the order.
func benchOrder(key string) int {
	for i, p := range []string{"TCPBulk", "TCPReqResp", "UDP", "IdleMemory", "TCPChurn", "UpperCPU", "Upper"} {
		if strings.HasPrefix(key, p) {
			return i
		}
	}
	return 99
}

func applyTargets(r *row, key string) {
	for _, t := range targets {
		if !strings.HasPrefix(key, t.prefix) {
			continue
		}
		for _, c := range t.checks {
			if c.metric != r.metric {
				continue
			}
			v := r.ref
			if c.ratio {
				v = r.ratio
			}
			r.target = c.text
			r.met = "yes"
			if v == 0 || (c.min != 0 && v < c.min) || (c.max != 0 && v > c.max) {
				r.met = "NO"
			}
		}
		return // the first matching prefix only
	}
}

// pairedRatio is the median over runs i of a[i]/b[i].
func pairedRatio(a, b []float64) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		if b[i] != 0 {
			r = append(r, a[i]/b[i])
		}
	}
	return median(r)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loadResult is the part of upperload -json that the table uses.
type loadResult struct {
	Mode      string  `json:"mode"`
	Conns     int     `json:"conns"`
	Size      int     `json:"size"`
	MBps      float64 `json:"mb_per_s"`
	MsgPerSec float64 `json:"msg_per_s"`
	Latency   struct {
		P50 float64 `json:"p50_us"`
		P99 float64 `json:"p99_us"`
	} `json:"latency"`
	Errors map[string]int64 `json:"errors"`
	Status string           `json:"status"`
}

// loadRows compares each target's upperload results with the reference's.
func loadRows(dir string) ([]row, error) {
	targetsSeen, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	// runs[target][bench] are the results of each run.
	runs := map[string]map[string][]loadResult{}
	for _, t := range targetsSeen {
		if !t.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, t.Name(), "*.json"))
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			var lr loadResult
			if err := json.Unmarshal(b, &lr); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			key := fmt.Sprintf("upperload %s conns=%d size=%d", lr.Mode, lr.Conns, lr.Size)
			if runs[t.Name()] == nil {
				runs[t.Name()] = map[string][]loadResult{}
			}
			runs[t.Name()][key] = append(runs[t.Name()][key], lr)
		}
	}
	ref := runs["reference"]
	if ref == nil {
		return nil, errors.New("no upperload results for the reference")
	}
	var keys []string
	for k := range ref {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, naturalCompare)
	var rows []row
	for _, other := range slices.Sorted(maps.Keys(runs)) {
		if other == "reference" {
			continue
		}
		for _, key := range keys {
			o := runs[other][key]
			if o == nil {
				continue
			}
			metric := "msg/s"
			get := func(r loadResult) float64 { return r.MsgPerSec }
			if strings.Contains(key, "bulk") {
				metric, get = "MB/s", func(r loadResult) float64 { return r.MBps }
			}
			rv, ov := values(ref[key], get), values(o, get)
			rows = append(rows, row{bench: key, metric: metric, ref: median(rv), base: median(ov), baseName: other, ratio: pairedRatio(rv, ov),
				met: failures(ref[key], o)})
			p99 := func(r loadResult) float64 { return r.Latency.P99 }
			rv, ov = values(ref[key], p99), values(o, p99)
			rows = append(rows, row{bench: key, metric: "p99-us", ref: median(rv), base: median(ov), baseName: other, ratio: pairedRatio(rv, ov)})
		}
	}
	return rows, nil
}

// failures notes runs that did not pass (a load comparison has no target,
// but a run with errors is not a clean figure).
func failures(a, b []loadResult) string {
	for _, r := range slices.Concat(a, b) {
		if r.Status != "PASS" {
			return "(a run: " + r.Status + ")"
		}
	}
	return ""
}

func values(rs []loadResult, get func(loadResult) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	return v
}

func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "benchmark\tmetric\treference\tbaseline\tvs\tratio\ttarget\tmet\t")
	for _, r := range rows {
		base, ratio := "-", "-"
		if r.base != 0 {
			base = num(r.base)
		}
		if r.ratio != 0 {
			ratio = fmt.Sprintf("%.3f", r.ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.bench, r.metric, num(r.ref), base, r.baseName, ratio, r.target, r.met)
	}
	tw.Flush()
}

// num prints a figure with about four significant digits.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 0:
		return "-" + num(-v)
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
