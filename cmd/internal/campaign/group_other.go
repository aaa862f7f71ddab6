//go:build !unix

package campaign

import (
	"os/exec"
	"time"
)

// ownGroup does nothing where there are no process groups.
func ownGroup(*exec.Cmd) {}

// stopGroup kills cmd's process.
func stopGroup(cmd *exec.Cmd, _ time.Duration) error { return cmd.Process.Kill() }
