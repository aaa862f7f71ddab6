#!/usr/bin/env bash
# stress.sh runs upcheck's conformance suite and every package's tests many
# times in a row, to show that none of them flakes: zero failures is the bar. A test
# that fails once in twenty runs teaches users to ignore its red.
#
# Usage (from anywhere in the repository):
#
#	lab/stress/stress.sh [phase...]
#
# Phases, run in this order when none is named:
#
#	reference       go tool ginkgo --repeat=N-1 on the suite (./suites),
#	                against the reference servers
#	reference-race  the same, built with -race
#	python          the suite against examples/python/server.py
#	                (skipped, and said so, when python3 is not installed)
#	python-race     the same with -race
#	unit            go test -short -count=N on every package but ./suites
#	                (ginkgo refuses -count; the phases above repeat it);
#	                -short leaves out the mutation campaign, minutes a
#	                run, which make test runs in full. go test's timeout
#	                covers all N runs of a package, so it is N x 2 minutes
#	race            go test -race -count=1 on every package, without
#	                -short, N times over: the configuration CI and make
#	                test use, the suites and the mutation campaign
#	                (minutes a run) included. Not -count=N: the mutation
#	                campaign and the hostile runs are gathered once per
#	                test process, so -count would repeat only the judging
#	                of one campaign, and ginkgo refuses -count on ./suites.
#	                Each run's log is race-K.log
#
# Settings:
#
#	STRESS_RUNS          runs of each phase (default 20)
#	STRESS_LOGS          directory for each phase's full output (default
#	                     reports/stress)
#	STRESS_UNIT_FLAGS    flags of the unit phase's go test (default -short)
#	STRESS_RACE_PKGS     packages of the race phase (default ./...)
#	STRESS_GINKGO_FLAGS  more flags for every ginkgo phase, such as
#	                     --label-filter=TCP-EOF
#	GO                   the go command (default go)
#
# ginkgo's --repeat stops at the first failing run; the phase then reports
# the run that failed and the failing specs, and its log has the rest. The
# summary gives, per phase, the runs, the failures, the wall time and the
# suite's own time per run (min, median, max), and the machine's load
# average before and after. The exit status is 0 only when every phase
# passed every run.
#
# Run it on an otherwise idle machine: the suites' timeouts assume that the
# target and the harness get the CPU they ask for. On a machine that is
# merely slow, UPCHECK_TIME_SCALE is the knob.
set -u

cd "$(dirname "$0")/../.." || exit 2
GO=${GO:-go}
RUNS=${STRESS_RUNS:-20}
LOGS=${STRESS_LOGS:-reports/stress}
PYTHON_CMD='python3 examples/python/server.py --tcp {tcp} --udp {udp}'

case $RUNS in
'' | *[!0-9]* | 0)
	echo "stress: STRESS_RUNS: \"$RUNS\" is not a positive integer" >&2
	exit 2
	;;
esac
mkdir -p "$LOGS" && LOGS=$(cd "$LOGS" && pwd) || exit 2

phases=("$@")
if [ ${#phases[@]} -eq 0 ]; then
	phases=(reference reference-race python python-race unit race)
fi

failed=0
summary=()
bins=()
trap 'rm -f "${bins[@]}"' EXIT

# loadavg prints the one-minute load average, or "?".
loadavg() {
	cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'
}

# suite_times prints the suite's own time of each run in a ginkgo log, one
# number of seconds a line.
suite_times() {
	sed -n 's/^Ran [0-9]* of [0-9]* Specs in \([0-9.]*\) seconds.*/\1/p' "$1"
}

# stats prints "min A s, median B s, max C s" of the numbers on stdin.
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "no run finished"; exit }
		printf "min %.1f s, median %.1f s, max %.1f s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# suite runs one ginkgo phase: its name, "race" or "norace", then the
# suite's own flags (given to it after "--"), if any.
suite() {
	local name=$1 race=() log="$LOGS/$1.log"
	[ "$2" = race ] && race=(-race)
	shift 2
	local gflags=() extra=()
	# shellcheck disable=SC2206 # split into words on purpose
	[ -n "${STRESS_GINKGO_FLAGS:-}" ] && gflags=(${STRESS_GINKGO_FLAGS})
	[ $# -gt 0 ] && extra=(-- "$@")
	echo "stress: $name: $RUNS runs (log: $log)"
	local start=$SECONDS status=0 load0
	load0=$(loadavg)
	# A binary of the phase's own, built once: another ginkgo run of
	# ./suites in the same tree builds and removes suites/suites.test, and
	# must not pull it from under this one. It lives in suites/ so that it
	# runs where the suite always runs.
	local bin="suites/stress-$$-$name.test"
	bins+=("$bin")
	if ! $GO test -c "${race[@]}" -o "$bin" ./suites >"$log" 2>&1; then
		status=1
	else
		$GO tool ginkgo --no-color "${gflags[@]}" --repeat=$((RUNS - 1)) "$bin" "${extra[@]}" >"$log" 2>&1 || status=$?
	fi
	local wall=$((SECONDS - start))
	local ran passed
	ran=$(suite_times "$log" | wc -l)
	passed=$(grep -c '^SUCCESS!' "$log")
	local line="$name: $ran runs, $((ran - passed)) failed, wall ${wall} s, suite time per run $(suite_times "$log" | stats), load $load0 -> $(loadavg)"
	if [ $status -ne 0 ] || [ "$passed" -ne "$RUNS" ]; then
		failed=1
		line="$line: FAILED (exit status $status, $passed of $RUNS runs passed)"
		grep -E '^\s*\[(FAIL|PANICKED|TIMEDOUT)\]|Tests failed on attempt' "$log" | sort | uniq -c | head -20
	fi
	echo "stress: $line"
	summary+=("$line")
}

unit() {
	local log="$LOGS/unit.log" flags
	# shellcheck disable=SC2206 # split into words on purpose
	flags=(${STRESS_UNIT_FLAGS--short})
	local pkgs
	pkgs=$($GO list ./... | grep -v '/suites$') || return 1
	echo "stress: unit: go test ${flags[*]} -count=$RUNS on every package but ./suites (log: $log)"
	local start=$SECONDS status=0 load0
	load0=$(loadavg)
	# shellcheck disable=SC2086 # one package a word
	$GO test "${flags[@]}" -count="$RUNS" -timeout "$((RUNS * 2))m" $pkgs >"$log" 2>&1 || status=$?
	tally "unit: $RUNS runs of each package" "$log" "$status" "$start" "$load0"
}

# race runs every package's tests as CI does (-race, without -short), as
# N separate go test runs.
race() {
	local pkgs
	# shellcheck disable=SC2206 # split into words on purpose
	local sel=(${STRESS_RACE_PKGS:-./...})
	if ! pkgs=$($GO list "${sel[@]}"); then
		failed=1
		summary+=("race: FAILED: go list ${sel[*]} failed")
		return 1
	fi
	echo "stress: race: go test -race -count=1 on $(echo "$pkgs" | wc -l) packages, without -short, $RUNS times (logs: $LOGS/race-K.log)"
	local start=$SECONDS load0 fails=0 times=() r
	load0=$(loadavg)
	for ((r = 1; r <= RUNS; r++)); do
		local log="$LOGS/race-$r.log" t0=$SECONDS status=0
		# shellcheck disable=SC2086 # one package a word
		$GO test -race -count=1 -timeout 15m $pkgs >"$log" 2>&1 || status=$?
		times+=($((SECONDS - t0)))
		if [ $status -ne 0 ]; then
			fails=$((fails + 1))
			echo "stress: race: run $r of $RUNS FAILED after $((SECONDS - t0)) s (exit status $status, log: $log):"
			grep -E '^(--- FAIL|FAIL)' "$log" | sort | uniq -c | head -20
		else
			echo "stress: race: run $r of $RUNS passed in $((SECONDS - t0)) s"
		fi
	done
	local line="race: $RUNS runs of go test -race ${sel[*]}, $fails failed, wall $((SECONDS - start)) s, per run $(printf '%s\n' "${times[@]}" | stats), load $load0 -> $(loadavg)"
	if [ $fails -ne 0 ]; then
		failed=1
		line="$line: FAILED"
	fi
	echo "stress: $line"
	summary+=("$line")
}

# tally sums up a go test phase from its log: what (the phase's words), the
# log, go test's exit status, when it started and the load then.
tally() {
	local what=$1 log=$2 status=$3 start=$4 load0=$5
	local wall=$((SECONDS - start)) ok fail
	ok=$(grep -c '^ok ' "$log")
	fail=$(grep -c '^FAIL[[:space:]]' "$log")
	local line="$what, $ok packages passed, $fail failed, wall ${wall} s, load $load0 -> $(loadavg)"
	if [ "$status" -ne 0 ]; then
		failed=1
		line="$line: FAILED (exit status $status)"
		grep -E '^(--- FAIL|FAIL)' "$log" | sort | uniq -c | head -20
	fi
	echo "stress: $line"
	summary+=("$line")
}

python_ok() {
	if ! command -v python3 >/dev/null 2>&1; then
		summary+=("$1: skipped: python3 is not installed")
		echo "stress: $1: skipped: python3 is not installed"
		return 1
	fi
}

for p in "${phases[@]}"; do
	case $p in
	reference) suite reference norace ;;
	reference-race) suite reference-race race ;;
	python) python_ok python && suite python norace -server-cmd "$PYTHON_CMD" ;;
	python-race) python_ok python-race && suite python-race race -server-cmd "$PYTHON_CMD" ;;
	unit) unit ;;
	race) race ;;
	*)
		echo "stress: unknown phase \"$p\" (want reference, reference-race, python, python-race, unit or race)" >&2
		exit 2
		;;
	esac
done

echo
echo "stress summary ($(uname -sm), $(nproc 2>/dev/null || echo '?') CPUs, $($GO version | cut -d' ' -f3)):"
printf '  %s\n' "${summary[@]}"
exit $failed
