package target

import (
	"bufio"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Bounds on what is kept of a server command's output: a server that writes
// without end, or without newlines, cannot grow the harness's memory.
const (
	// OutputKeep is how many of the last lines Target.Output keeps.
	OutputKeep = 200
	// maxLineLen is the longest line kept; the rest of a longer line is
	// dropped and the line ends with "…".
	maxLineLen = 1024
)

// lineRing keeps the last lines written to it, each with a sequence number,
// so that the lines of one run of a command can be told from the earlier
// runs' lines. It is safe for concurrent use.
type lineRing struct {
	mu    sync.Mutex
	lines []string // len ≤ cap; lines[(next-1)%cap] is the newest
	next  uint64   // sequence number of the next line added
}

func newLineRing(n int) *lineRing { return &lineRing{lines: make([]string, 0, n)} }

func (r *lineRing) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) < cap(r.lines) {
		r.lines = append(r.lines, line)
	} else {
		r.lines[r.next%uint64(cap(r.lines))] = line
	}
	r.next++
}

// seq returns the sequence number the next line will get.
func (r *lineRing) seq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// since returns, oldest first, at most max of the newest lines whose
// sequence number is at least from (max ≤ 0: no limit but the ring's).
func (r *lineRing) since(from uint64, max int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.next - uint64(len(r.lines))
	if from < oldest {
		from = oldest
	}
	if max > 0 && r.next-from > uint64(max) {
		from = r.next - uint64(max)
	}
	out := make([]string, 0, r.next-from)
	for i := from; i < r.next; i++ {
		out = append(out, r.lines[i%uint64(cap(r.lines))])
	}
	return out
}

// copyLines reads src to its end, adding each line (without its newline and
// a trailing carriage return, invalid UTF-8 replaced) to r and logging it at
// debug level. A last line without a newline is kept too.
func (r *lineRing) copyLines(src io.Reader, log *slog.Logger, pid int) {
	br := bufio.NewReaderSize(src, 4096)
	var line []byte
	truncated := false
	flush := func() {
		s := strings.ToValidUTF8(strings.TrimSuffix(string(line), "\r"), "\uFFFD")
		if truncated {
			s += "…"
		}
		r.add(s)
		log.Debug("server output", "pid", pid, "line", s)
		line, truncated = line[:0], false
	}
	for {
		chunk, err := br.ReadSlice('\n')
		hasNL := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if hasNL {
			chunk = chunk[:len(chunk)-1]
		}
		if room := maxLineLen - len(line); len(chunk) > room {
			chunk, truncated = chunk[:room], true
		}
		line = append(line, chunk...)
		if hasNL {
			flush()
		}
		if err != nil && err != bufio.ErrBufferFull {
			if len(line) > 0 || truncated {
				flush()
			}
			return
		}
	}
}
