//go:build linux

package lifetime

import (
	"context"
	"flag"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/target"
)

// Environment of a go test -fuzz run of FuzzServerCommand.
const (
	// fuzzEnv, set, lets FuzzServerCommand run; plain go test skips it.
	fuzzEnv = "UPCHECK_LIFETIME_FUZZ"
	// slowEndEnv names a directory: each worker that ends writes "began"
	// there and then takes a minute to end, ignoring SIGINT, so that the
	// fuzzing engine kills it (SIGKILL) before it could close its target.
	slowEndEnv = "UPCHECK_LIFETIME_SLOW_END"
)

// exchangeTimeout bounds one input's exchange with the server.
const exchangeTimeout = 2 * time.Second

var shared struct {
	once sync.Once
	t    *target.Target
	err  error
}

// sharedTarget is the process's target, from the UPCHECK_* settings,
// started on first use and never closed: the process ends without Close.
func sharedTarget() (*target.Target, error) {
	shared.once.Do(func() {
		s, err := target.FromEnv()
		if err != nil {
			shared.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shared.t, shared.err = target.Start(ctx, s, nil)
	})
	return shared.t, shared.err
}

// FuzzServerCommand sends each input to the target's TCP server and reads
// the reply, each exchange bounded. It never fails (a failure would be
// saved under testdata): what its tests judge is what is left of the
// server command once the run ends.
func FuzzServerCommand(f *testing.F) {
	if os.Getenv(fuzzEnv) == "" {
		f.Skip("run by TestFuzzWorkerKilledByTheEngine and TestCampaignKilled")
	}
	f.Add([]byte("a"))
	if dir := os.Getenv(slowEndEnv); dir != "" && isWorker() {
		f.Cleanup(func() {
			signal.Ignore(os.Interrupt)
			os.WriteFile(filepath.Join(dir, "began"), nil, 0o644)
			time.Sleep(time.Minute)
			os.WriteFile(filepath.Join(dir, "ended"), nil, 0o644)
		})
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tg, err := sharedTarget()
		if err != nil {
			t.Skip(err)
		}
		c, err := net.DialTimeout("tcp", tg.TCPAddr(), exchangeTimeout)
		if err != nil {
			t.Skip(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(exchangeTimeout))
		if len(in) > 64 {
			in = in[:64]
		}
		c.Write(in)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
	})
}

// isWorker reports whether this process is a fuzzing worker.
func isWorker() bool {
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}
