#!/bin/sh
# bench.sh: the measurements behind BENCHMARKS.md, as make bench runs them.
#
#   lab/perf/bench.sh [OUTDIR]       (default: reports/bench)
#
# 1. The Go benchmarks of lab/perf (the reference servers against a
#    plain Go echo loop and a minimal Go UDP echo, in one process) and
#    BenchmarkUpper and BenchmarkUpperCPU (servers), COUNT times over
#    (default 6), each time with -count 1, so that the reference and its
#    baseline are measured back to back under the same conditions; then
#    benchstat over all the runs (OUTDIR/benchstat.txt: TCP, UDP and the
#    transform apart, each against its own baseline).
# 2. upperload against the reference (upperd, a process of its own) and
#    against the Python example server (examples/python/server.py, when
#    python3 is there), LOAD_RUNS times (default 3) per mode, LOAD_DURATION
#    each (default 5s).
# 3. One table: for each figure, the medians for the reference and the
#    baseline, the median of the per-run ratios, the issue's target and
#    whether it is met.
#
# Raw output is kept in OUTDIR. Environment: COUNT, LOAD_RUNS,
# LOAD_DURATION, BENCHTIME (go test -benchtime, default 1s), GO (default go).
set -eu

out=${1:-reports/bench}
count=${COUNT:-6}
load_runs=${LOAD_RUNS:-3}
load_duration=${LOAD_DURATION:-5s}
benchtime=${BENCHTIME:-1s}
go=${GO:-go}

cd "$(dirname "$0")/../.."
rm -rf "$out"
mkdir -p "$out/bin" "$out/load"
out=$(cd "$out" && pwd)

say() { printf 'bench: %s\n' "$*" >&2; }

say "building upperd, upperload and benchtable"
$go build -o "$out/bin/" ./cmd/upperd ./cmd/upperload ./lab/cmd/benchtable
$go test -c -o "$out/bin/perf.test" ./lab/perf
$go test -c -o "$out/bin/servers.test" ./servers

i=1
while [ "$i" -le "$count" ]; do
	say "go benchmarks, run $i of $count"
	"$out/bin/perf.test" -test.run '^$' -test.bench . -test.count 1 -test.benchtime "$benchtime" >>"$out/go.txt"
	"$out/bin/servers.test" -test.run '^$' -test.bench '^BenchmarkUpper(CPU)?$' -test.count 1 -test.benchtime "$benchtime" >>"$out/go.txt"
	i=$((i + 1))
done
# benchstat compares each baseline with the reference: TCP, UDP and the
# transform apart, since each has its own baseline.
{
	$go tool benchstat -col /server -filter '-.name:/^(UDP|Upper)/' "$out/go.txt"
	$go tool benchstat -col /server -filter '.name:/^UDP/' "$out/go.txt"
	$go tool benchstat -col /impl -filter '.name:/^Upper/' "$out/go.txt"
} >"$out/benchstat.txt" 2>&1 || say "benchstat failed: see $out/benchstat.txt"

# loadrun LABEL SERVER_CMD: upperload in every mode against the command.
loadrun() {
	label=$1
	cmd=$2
	mkdir -p "$out/load/$label"
	for spec in "bulk 8 16384" "reqresp 16 64" "churn 8 64" "udp 16 64" "udp 16 1400"; do
		set -- $spec
		r=1
		while [ "$r" -le "$load_runs" ]; do
			say "upperload against $label: -mode $1 -conns $2 -size $3, run $r of $load_runs"
			json="$out/load/$label/$1-$3-$r.json"
			if ! UPCHECK_SERVER_CMD=$cmd "$out/bin/upperload" -mode "$1" -conns "$2" -size "$3" \
				-duration "$load_duration" -json >"$json" 2>>"$out/load/$label.log"; then
				# Exit 1 (a failure) still has its JSON summary; exit 2 has none.
				[ -s "$json" ] || rm -f "$json"
				say "upperload against $label, -mode $1: it failed (see $out/load/$label.log)"
			fi
			r=$((r + 1))
		done
	done
}

loadrun reference "$out/bin/upperd -tcp {host}:{tcp} -udp {host}:{udp} -log-level warn"
if command -v python3 >/dev/null 2>&1 && [ -f examples/python/server.py ]; then
	loadrun python "python3 $PWD/examples/python/server.py --host {host} --tcp {tcp} --udp {udp}"
else
	say "skipping the Python example server: no python3, or no examples/python/server.py"
fi

echo
echo "Reference servers against baselines (medians of $count runs; ratio = reference / baseline, the median of per-run ratios)"
echo
"$out/bin/benchtable" -go "$out/go.txt" -load "$out/load"
echo
echo "Raw results and benchstat's statistics: $out/"
