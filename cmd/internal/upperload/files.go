package upperload

import (
	"fmt"
	"syscall"

	"github.com/upcheck/upcheck/clients/load"
)

// fdSpare is what the process needs besides its connections: standard
// streams, listeners, the runtime's own.
const fdSpare = 64

// ensureFiles makes sure the process may open the file descriptors the run
// needs: one per connection, and one more per connection when the server
// runs in this process. Go raises the soft limit to the hard one at start;
// this raises it again if something lowered it, and otherwise says in one
// line how many are needed and what the limit is.
func ensureFiles(cfg load.Config, inProcess bool) error {
	if cfg.Mode == load.UDP {
		return nil
	}
	need := uint64(cfg.Conns) + fdSpare
	if inProcess {
		need += uint64(cfg.Conns)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // cannot tell: let the run find out
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max > lim.Cur {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	if lim.Cur >= need {
		return nil
	}
	return fmt.Errorf("-conns %d needs about %d open files and the limit is %d (hard limit %d): raise it with ulimit -n, or use fewer connections", cfg.Conns, need, lim.Cur, lim.Max)
}
