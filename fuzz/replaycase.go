package fuzz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/suites/check"
)

// Case is a self-contained, replayable counterexample: the script a
// property ran and the failure it saw. Any target can replay it with
// cmd/replay.
type Case struct {
	// Property names the property that found it.
	Property string `json:"property"`
	// Failure is the violation text the property reported.
	Failure string           `json:"failure,omitempty"`
	TCP     *check.TCPScript `json:"tcp,omitempty"`
	UDP     *check.UDPScript `json:"udp,omitempty"`
	// Net, with TCP, runs the script through a fault-injecting proxy
	// that mangles the network as it says (check.RunTCPThroughProxy).
	Net *check.NetFaults `json:"net,omitempty"`
	// UDPNet, with UDP, runs the script through a fault-injecting UDP
	// proxy that drops, duplicates, reorders and delays datagrams as it
	// says (check.RunUDPThroughProxy).
	UDPNet *check.UDPNetFaults `json:"udp_net,omitempty"`
}

// Run replays c against e and returns the violations it observes now.
func (c *Case) Run(ctx context.Context, e check.Env) error {
	switch {
	case c.TCP != nil && c.Net != nil:
		return check.RunTCPThroughProxy(ctx, e, *c.TCP, *c.Net)
	case c.TCP != nil:
		return check.RunTCP(ctx, e, *c.TCP)
	case c.UDP != nil && c.UDPNet != nil:
		return check.RunUDPThroughProxy(ctx, e, *c.UDP, *c.UDPNet)
	case c.UDP != nil:
		return check.RunUDP(ctx, e, *c.UDP)
	}
	return errors.New("fuzz: case has neither a tcp nor a udp script")
}

// Check runs c once against e as the properties do, and returns the
// violations the connections saw and, when healthy is set (see
// target.Target.Healthy), the server dying on it: asked again a moment
// later when the case failed or ended a connection without waiting for its
// replies, so that a crash that comes a moment late is not missed.
func (c *Case) Check(e check.Env, healthy func(id string) error) error {
	err, down := runChecked(c, e, healthy)
	return errors.Join(err, down)
}

// failureDir is where the cases are saved: fuzzspec.FailureDir, or the
// directory in fuzzspec.FailuresEnv.
func failureDir() string {
	if d := os.Getenv(fuzzspec.FailuresEnv); d != "" {
		return d
	}
	return fuzzspec.FailureDir
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Save writes c as indented JSON to the failure directory under a name
// derived from name, replacing an earlier case of the same name: rapid runs
// the minimal case last, so the file ends up holding it. It returns the path.
func (c *Case) Save(name string) (string, error) {
	dir := failureDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".json")
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadCase reads a case written by Save.
func LoadCase(path string) (*Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Case
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: not a replay case: %v", path, err)
	}
	if c.TCP == nil && c.UDP == nil {
		return nil, fmt.Errorf("%s: not a replay case: no tcp or udp script", path)
	}
	return &c, nil
}
