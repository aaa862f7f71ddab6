//go:build !unix

package target

import (
	"errors"
	"log/slog"
)

// Server commands need process groups, which only Unix systems have here;
// elsewhere the in-process reference and already-running servers still work.

type proc struct {
	pid  int
	done chan struct{}
}

var errNoCommands = errors.New("server commands need a Unix system; start the server yourself and use UPCHECK_TCP / UPCHECK_UDP")

func startProc(string, string, *lineRing, *slog.Logger) (*proc, error) { return nil, errNoCommands }

func (p *proc) exited() bool            { return true }
func (p *proc) status() string          { return "" }
func (p *proc) exitCode() int           { return -1 }
func (p *proc) stop()                   {}
func (p *proc) finish()                 {}
func (p *proc) lastOutput(n int) string { return "" }
