package hostile_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/target"
)

// campaignBudget is each campaign's -budget in TestCampaignKeepsItsBudget;
// the run may take half as long again (a loaded machine is slow to stop
// processes and print), never more.
const campaignBudget = 45 * time.Second

// TestCampaignKeepsItsBudget runs make fuzz's campaign, 5 s per native
// target and a few property cases, against servers that stall: one that
// swallows every datagram, one that answers only the first datagram (the
// harness's start-up probe), and one that stops reading TCP after the
// probe's connection. Each campaign must end within its -budget, however
// the server stalls, and say what it found: a finding with the command
// that replays it, or, for a server that never answers, that the target is
// not there. None may report nothing, or hang.
func TestCampaignKeepsItsBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three campaigns of a minute")
	}
	t.Parallel()
	_, mutantd := build(t)
	campaign, root := buildCampaign(t)
	corpus := filepath.Join(root, "fuzz", "testdata", "fuzz")
	keepCorpus(t, corpus, "FuzzUDPDatagram", "FuzzTCPStream")

	for _, tc := range []struct {
		name, server, target, property string
		says                           []string // what the summary must say
		code                           int
	}{
		{"swallows every datagram", "-mutant Mute -udp {udp}", "FuzzUDPDatagram", "UDPScripts",
			[]string{"harness error:", "did not answer within"}, 2},
		{"answers only the first datagram", "-mutant MuteAfter -udp {udp}", "FuzzUDPDatagram", "UDPScripts",
			// The first input that finds the silence names its own rule:
			// UDP-ROUNDTRIP, or UDP-EMPTY when it is the empty datagram.
			[]string{"=== failures", "fuzz.FuzzUDPDatagram: UDP-", "  replay:   "}, 1},
		{"stops reading", "-mutant DeafAfter -tcp {tcp}", "FuzzTCPStream", "TCPScripts",
			[]string{"=== failures", "fuzz.FuzzTCPStream: TCP-", "  replay:   "}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*campaignBudget)
			defer cancel()
			cmd := exec.CommandContext(ctx, campaign, "-budget="+campaignBudget.String(),
				"-fuzztime=5s", "-minimizetime=2s", "-pkgs=./fuzz", "-targets=^"+tc.target+"$",
				"-properties=^"+tc.property+"$", "-checks=20", "-seed=1", "-shrinktime=5s",
				"-nofailfile", "-failures="+t.TempDir())
			cmd.Dir = root
			cmd.Env = campaignEnv(mutantd + " " + tc.server)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.WaitDelay = 5 * time.Second
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("campaign: %v", err)
			}
			summary := out.String()
			if i := strings.Index(summary, "=== campaign summary"); i >= 0 {
				summary = summary[i:]
			}
			t.Logf("campaign took %v, exit status %d\n%s", took.Round(time.Millisecond), code, summary)
			if bound := campaignBudget * 3 / 2; took > bound {
				t.Errorf("the campaign took %v, more than its -budget %v and half as long again", took.Round(time.Second), campaignBudget)
			}
			if code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			for _, s := range tc.says {
				if !strings.Contains(summary, s) {
					t.Errorf("the summary does not say %q", s)
				}
			}
		})
	}
}

// buildCampaign builds cmd/campaign and warms the build cache with the two
// test binaries it runs (the fuzzing one is instrumented), so that each
// campaign's budget goes to fuzzing rather than compiling. It returns the
// campaign's path and the module root.
func buildCampaign(t *testing.T) (campaign, root string) {
	t.Helper()
	root, err := target.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	campaign = filepath.Join(t.TempDir(), "campaign")
	for _, args := range [][]string{
		{"build", "-o", campaign, "./cmd/campaign"},
		{"test", "-count=1", "-run=^$", "./fuzz"},
		{"test", "-count=1", "-run=^$", "-fuzz=^FuzzUDPDatagram$", "-fuzztime=1x", "./fuzz"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = campaignEnv("")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return campaign, root
}

// campaignEnv is the environment of a campaign against the server command
// cmd ("" for the reference in process): the test's own, less every
// setting of the target and of rapid.
func campaignEnv(cmd string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "UPCHECK_") || strings.HasPrefix(kv, "RAPID_") || strings.HasPrefix(kv, "FUZZTIME=") {
			continue
		}
		env = append(env, kv)
	}
	if cmd != "" {
		env = append(env, target.EnvServerCmd+"="+cmd)
	}
	return env
}

// keepCorpus removes, when t ends, the inputs that go test -fuzz wrote
// under corpus for the targets named: a failing input against a faulty
// server is no regression test of the repository.
func keepCorpus(t *testing.T, corpus string, targets ...string) {
	before := map[string]bool{}
	list := func() []string {
		var ps []string
		for _, name := range targets {
			ents, _ := os.ReadDir(filepath.Join(corpus, name))
			for _, e := range ents {
				ps = append(ps, filepath.Join(corpus, name, e.Name()))
			}
		}
		return ps
	}
	for _, p := range list() {
		before[p] = true
	}
	t.Cleanup(func() {
		for _, p := range list() {
			if !before[p] {
				os.Remove(p)
			}
		}
	})
}
