package fuzz

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// quickChecks is the number of cases each rapid property runs in a plain
// go test (make test); RAPID_CHECKS or -rapid.checks raise it for campaigns.
const quickChecks = 25

func TestMain(m *testing.M) {
	start := time.Now()
	flag.Parse()
	if err := rapidSettings(); err != nil {
		fmt.Fprintf(os.Stderr, "fuzz: %v\n", err)
		os.Exit(2)
	}
	switch {
	case fuzzWorker():
		// Start the target before the engine's first input, so that its
		// start does not count against that input's 10 s; an error comes
		// back with every input.
		beginRun(start)
		Target()
	case flag.Lookup("test.fuzz").Value.String() != "":
		// The coordinator of go test -fuzz runs no input itself. A
		// target that is not there is said here, once, rather than
		// left to workers that may spend the whole -fuzztime starting
		// it and report nothing. The engine's -fuzztime starts after.
		if _, err := Target(); err != nil {
			fmt.Printf("harness error: %v\n", err)
			Close()
			os.Exit(1)
		}
		beginRun(start)
	default:
		beginRun(start)
	}
	code := m.Run()
	if err := Close(); err != nil {
		fmt.Fprintf(os.Stderr, "closing the target: %v\n", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// rapidSettings applies RAPID_CHECKS and RAPID_SEED unless the matching
// -rapid.* flag was given, defaults the checks to quickChecks, and picks and
// prints a seed when none is set, so every run can be repeated.
func rapidSettings() error {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	set := func(name, env, def string) error {
		if given[name] {
			return nil
		}
		v := os.Getenv(env)
		if v == "" {
			v = def
		}
		if v == "" {
			return nil
		}
		if err := flag.Set(name, v); err != nil {
			return fmt.Errorf("%s=%q: %v", env, v, err)
		}
		return nil
	}
	if err := set("rapid.checks", "RAPID_CHECKS", fmt.Sprint(quickChecks)); err != nil {
		return err
	}
	if err := set("rapid.seed", "RAPID_SEED", fmt.Sprint(rand.Uint64()>>1)); err != nil {
		return err
	}
	fmt.Printf("rapid: seed %s, %s checks per property (repeat with RAPID_SEED=%s)\n",
		flag.Lookup("rapid.seed").Value, flag.Lookup("rapid.checks").Value, flag.Lookup("rapid.seed").Value)
	return nil
}
