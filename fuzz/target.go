package fuzz

import (
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/upcheck/upcheck/suites/check"
	"github.com/upcheck/upcheck/suites/target"
)

// shared is the target of this process: started once, on first use, from
// the UPCHECK_* settings (the reference servers in process when none is
// set), and stopped by Close. A fuzzing worker process thus starts the
// target once, not per input.
var shared struct {
	once sync.Once
	mu   sync.Mutex
	t    *target.Target
	err  error
}

// Target returns the process's target, starting it on first use.
func Target() (*target.Target, error) {
	shared.once.Do(func() {
		if fuzzWorker() {
			keepEngineFilesFromCommands()
		}
		s, err := target.FromEnv()
		if err != nil {
			shared.err = err
			return
		}
		ctx, cancel, _ := caseContext(s.Scale(30 * time.Second))
		defer cancel()
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
		shared.t, shared.err = target.Start(ctx, s, log)
	})
	return shared.t, shared.err
}

// Close stops the process's target if it was started.
func Close() error {
	if t, _ := Target(); t != nil {
		return t.Close()
	}
	return nil
}

// Env returns the check environment of the process's target as it is now
// (see target.Target.Env); logf receives ports and timings.
func Env(logf func(string, ...any)) (check.Env, error) {
	t, err := Target()
	if err != nil {
		return check.Env{}, err
	}
	return t.Env(logf), nil
}

// Healthy reports whether a server command died while checking id (and
// restarts it), so a crash is blamed on the input that caused it.
func Healthy(id string) error {
	t, err := Target()
	if err != nil {
		return err
	}
	return t.Healthy(id)
}

func logLevel() slog.Level {
	if os.Getenv("UPCHECK_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
