package fuzz

import (
	"testing"

	"github.com/upcheck/upcheck/suites/target"
)

// TestReplayCommandSetsTheTarget: the printed command points cmd/replay at
// the same target, judged the same way, and leaves the report and the
// defaults out.
func TestReplayCommandSetsTheTarget(t *testing.T) {
	for k, v := range map[string]string{
		target.EnvServerCmd: " bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp} ",
		target.EnvTCP:       "",
		target.EnvUDP:       "",
		target.EnvUDPMax:    "8192",
		target.EnvTimeScale: "2.50",
		target.EnvReport:    "reports/x",
	} {
		t.Setenv(k, v)
	}
	want := "UPCHECK_SERVER_CMD='bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}' UPCHECK_TIME_SCALE=2.5 " +
		"go run ./cmd/replay -count 3 -script '/cases/it'\\''s.json'"
	if got := ReplayCommand("/cases/it's.json"); got != want {
		t.Errorf("ReplayCommand:\n got %s\nwant %s", got, want)
	}
	for _, k := range target.TargetEnv {
		t.Setenv(k, "")
	}
	if got, want := ReplayCommand("/cases/x.json"), "go run ./cmd/replay -count 3 -script /cases/x.json"; got != want {
		t.Errorf("ReplayCommand with no settings = %q, want %q", got, want)
	}
}
