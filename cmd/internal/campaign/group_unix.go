//go:build unix

package campaign

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// ownGroup makes cmd the leader of a process group of its own, so that
// stopGroup reaches the test binary and its fuzzing workers too.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stopGroup sends SIGINT to cmd's process group and, if it has not ended
// grace later, SIGKILL.
func stopGroup(cmd *exec.Cmd, grace time.Duration) error {
	pgid := cmd.Process.Pid
	err := syscall.Kill(-pgid, syscall.SIGINT)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	time.AfterFunc(grace, func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	return err
}
