//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup puts cmd in a process group of its own, so that a Ctrl-C at
// the terminal reaches upcheck matrix alone, which passes one interrupt on
// to each check: a check interrupted twice would not stop its server.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
