package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goOutput is two runs of go test -bench, as bench.sh concatenates them.
const goOutput = `goos: linux
BenchmarkTCPBulk/conns=64/server=plainecho-2   100  1000 ns/op  100.0 MB/s
BenchmarkTCPBulk/conns=64/server=reference-2   100  1000 ns/op   90.0 MB/s
BenchmarkTCPReqResp/conns=1/server=plainecho-2 100  1000 ns/op  10.0 p50-us  20000 rtt/s
BenchmarkTCPReqResp/conns=1/server=reference-2 100  1000 ns/op  10.5 p50-us  19000 rtt/s
PASS
BenchmarkTCPBulk/conns=64/server=plainecho-2   100  1000 ns/op  200.0 MB/s
BenchmarkTCPBulk/conns=64/server=reference-2   100  1000 ns/op  196.0 MB/s
BenchmarkTCPReqResp/conns=1/server=plainecho-2 100  1000 ns/op  10.0 p50-us  30000 rtt/s
BenchmarkTCPReqResp/conns=1/server=reference-2 100  1000 ns/op  12.0 p50-us  29000 rtt/s
BenchmarkUpper/impl=UpperASCII-2   10  100 ns/op  7000 MB/s
BenchmarkUpper/impl=swar-2         10  100 ns/op  4500 MB/s
BenchmarkUpper/impl=copyonly-2     10  100 ns/op  18000 MB/s
`

func TestGoRows(t *testing.T) {
	rows := goRows(parseBench(strings.NewReader(goOutput)))
	find := func(bench, metric string) row {
		for _, r := range rows {
			if r.bench == bench && r.metric == metric {
				return r
			}
		}
		t.Fatalf("no row %s %s in %+v", bench, metric, rows)
		return row{}
	}
	// Medians of the figures, and the median of the per-run ratios
	// (0.90 and 0.98), not the ratio of the medians.
	bulk := find("TCPBulk conns=64", "MB/s")
	if bulk.ref != 143 || bulk.base != 150 || bulk.ratio != 0.94 || bulk.baseName != "plainecho" {
		t.Fatalf("bulk row %+v: want medians 143 and 150, ratio 0.94", bulk)
	}
	if bulk.target != ">= 0.95" || bulk.met != "NO" {
		t.Fatalf("bulk row %+v: want the 64-connection target, not met", bulk)
	}
	rtt := find("TCPReqResp conns=1", "rtt/s")
	if rtt.met != "yes" {
		t.Fatalf("round trips %+v: ratios 0.95 and 0.967 meet >= 0.90", rtt)
	}
	p50 := find("TCPReqResp conns=1", "p50-us")
	if p50.target != "<= 1.10" || p50.met != "NO" { // ratios 1.05 and 1.2: median 1.125
		t.Fatalf("p50 %+v: want not met", p50)
	}
	upper := find("Upper", "MB/s")
	if upper.ref != 4500 || upper.met != "yes" || upper.baseName != "copyonly" {
		t.Fatalf("upper %+v: want the swar figure against its target", upper)
	}
}

func TestLoadRows(t *testing.T) {
	dir := t.TempDir()
	write := func(target, name, json string) {
		os.MkdirAll(filepath.Join(dir, target), 0o755)
		if err := os.WriteFile(filepath.Join(dir, target, name), []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const tmpl = `{"mode": "reqresp", "conns": 16, "size": 64, "mb_per_s": 1, "msg_per_s": %s, "latency": {"p99_us": 100}, "status": "PASS"}`
	write("reference", "reqresp-64-1.json", strings.Replace(tmpl, "%s", "40000", 1))
	write("reference", "reqresp-64-2.json", strings.Replace(tmpl, "%s", "60000", 1))
	write("python", "reqresp-64-1.json", strings.Replace(tmpl, "%s", "10000", 1))
	write("python", "reqresp-64-2.json", strings.Replace(tmpl, "%s", "30000", 1))
	rows, err := loadRows(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v: want msg/s and p99 against python", rows)
	}
	r := rows[0]
	if r.bench != "upperload reqresp conns=16 size=64" || r.metric != "msg/s" || r.ref != 50000 || r.base != 20000 || r.baseName != "python" || r.ratio != 3 {
		t.Fatalf("row %+v: want medians 50000 and 20000, ratio median(4, 2) = 3", r)
	}
	var out strings.Builder
	printTable(&out, rows)
	if !strings.Contains(out.String(), "upperload reqresp conns=16 size=64") || !strings.Contains(out.String(), "3.000") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestLoadRowsNeedTheReference(t *testing.T) {
	if _, err := loadRows(t.TempDir()); err == nil {
		t.Fatal("no error without reference results")
	}
}

func TestNaturalCompare(t *testing.T) {
	keys := []string{"TCPBulk conns=64", "TCPBulk conns=8", "TCPBulk conns=1", "UDP size=1400 sockets=1", "UDP size=64 sockets=16", "UDP size=64 sockets=1"}
	slices.SortFunc(keys, naturalCompare)
	want := []string{"TCPBulk conns=1", "TCPBulk conns=8", "TCPBulk conns=64", "UDP size=64 sockets=1", "UDP size=64 sockets=16", "UDP size=1400 sockets=1"}
	if !slices.Equal(keys, want) {
		t.Fatalf("sorted %q, want %q", keys, want)
	}
	if num(-1234.5) != "-1234" || num(0.5) != "0.500" {
		t.Fatalf("num(-1234.5) = %q, num(0.5) = %q", num(-1234.5), num(0.5))
	}
}
