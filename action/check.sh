#!/bin/sh
# The steps of upcheck's GitHub Action (action.yml), as a script the action
# runs and the tests of cmd/upcheck run here: install upcheck, run
# `upcheck check` against the server command, write the Markdown report to
# the job summary, and exit with upcheck's status (0 pass, 1 a MUST
# requirement failed, 2 a usage or harness error).
#
# Inputs, as GitHub passes them to a composite action's step:
#   INPUT_SERVER_CMD   the server command, with {tcp} and {udp} (required)
#   INPUT_EXPECT_FAIL  expected failures: IDs, comma-separated, or @FILE
#   INPUT_ARGS         more flags for upcheck check, split on spaces
#   INPUT_VERSION      a version to go install (v1.2.3, latest); empty
#                      builds upcheck from the action's own checkout
#   INPUT_REPORT_DIR   where the reports go (default upcheck-report)
#   INPUT_REPORT_NAME  their file name without extension (default conformance)
#   ACTION_PATH        the action's checkout (github.action_path)
# and the runner's RUNNER_TEMP, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT.
set -u

fail() {
	echo "upcheck action: $*" >&2
	exit 2
}

[ -n "${INPUT_SERVER_CMD:-}" ] || fail "the server-cmd input is empty: give the command that starts your server, with {tcp} and {udp}"
name="${INPUT_REPORT_NAME:-conformance}"
case "$name" in
*/*) fail "the report-name input \"$name\" has a slash: give a file name without extension" ;;
esac
command -v go >/dev/null 2>&1 || fail "go is not on PATH: the action installs upcheck with the Go toolchain (actions/setup-go)"
bindir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/upcheck-bin"
mkdir -p "$bindir" || fail "cannot create $bindir"
if [ -n "${INPUT_VERSION:-}" ]; then
	GOBIN="$bindir" go install "github.com/upcheck/upcheck/cmd/upcheck@${INPUT_VERSION}" ||
		fail "go install github.com/upcheck/upcheck/cmd/upcheck@${INPUT_VERSION} failed"
else
	[ -n "${ACTION_PATH:-}" ] || fail "ACTION_PATH is not set"
	(cd "$ACTION_PATH" && CGO_ENABLED=0 go build -o "$bindir/upcheck" ./cmd/upcheck) ||
		fail "building upcheck from $ACTION_PATH failed"
fi
upcheck="$bindir/upcheck"
"$upcheck" version

dir="${INPUT_REPORT_DIR:-upcheck-report}"
mkdir -p "$dir" || fail "cannot create $dir"
set -- check --server-cmd "$INPUT_SERVER_CMD" --report "$dir/$name.json"
if [ -n "${INPUT_EXPECT_FAIL:-}" ]; then
	set -- "$@" --expect-fail "$INPUT_EXPECT_FAIL"
fi
# INPUT_ARGS is split on white space on purpose: flags and their values.
# shellcheck disable=SC2086
"$upcheck" "$@" ${INPUT_ARGS:-}
status=$?

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	if [ -f "$dir/$name.md" ]; then
		cat "$dir/$name.md" >>"$GITHUB_STEP_SUMMARY"
	else
		echo "upcheck wrote no report (exit status $status): see the job's log" >>"$GITHUB_STEP_SUMMARY"
	fi
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	{
		echo "status=$status"
		echo "report=$dir/$name.json"
	} >>"$GITHUB_OUTPUT"
fi
exit $status
