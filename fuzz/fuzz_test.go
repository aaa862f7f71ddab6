package fuzz

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/upcheck/upcheck/suites/check"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus files under testdata/fuzz")

// quickChecks is the number of cases each rapid property runs in a plain
// go test (make test); RAPID_CHECKS or -rapid.checks raise it for campaigns.
const quickChecks = 25

func TestMain(m *testing.M) {
	flag.Parse()
	if err := rapidSettings(); err != nil {
		fmt.Fprintf(os.Stderr, "fuzz: %v\n", err)
		os.Exit(2)
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

// TestProperties runs every rapid property against the target for
// -rapid.checks cases (make test: the default; make fuzz: many more).
func TestProperties(t *testing.T) {
	for _, p := range Properties {
		t.Run(p.Name, func(t *testing.T) {
			t.Logf("checks %s", strings.Join(p.IDs, ", "))
			rapid.Check(t, func(rt *rapid.T) { p.For(env(rt), targetHooks)(rt) })
		})
	}
}

func FuzzTCPScripts(f *testing.F) { f.Fuzz(rapid.MakeFuzz(CheckTCPScripts)) }

func FuzzUDPScripts(f *testing.F) { f.Fuzz(rapid.MakeFuzz(CheckUDPScripts)) }

// FuzzTCPStream writes the input on one connection in chunks of 1 + chunk
// bytes, half-closes, and requires upper(input) then EOF.
func FuzzTCPStream(f *testing.F) {
	for _, s := range Seeds {
		f.Add(s.Data, uint16(0))
		f.Add(s.Data, uint16(1023))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		e := fuzzEnv(t)
		if e.TCP == "" {
			t.Skip("TCP not configured")
		}
		runCase(t, "FuzzTCPStream", &Case{TCP: TCPStreamScript(data, chunk)}, e)
	})
}

// FuzzUDPDatagram sends the input as one datagram and requires one reply,
// upper(input) cut at the declared maximum.
func FuzzUDPDatagram(f *testing.F) {
	for _, s := range Seeds {
		f.Add(s.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := fuzzEnv(t)
		if e.UDP == "" {
			t.Skip("UDP not configured")
		}
		runCase(t, "FuzzUDPDatagram", &Case{UDP: UDPDatagramScript(data)}, e)
	})
}

func fuzzEnv(t *testing.T) check.Env {
	e, err := Env(t.Logf)
	if err != nil {
		t.Fatalf("harness error: %v", err)
	}
	return e
}

func runCase(t *testing.T, name string, c *Case, e check.Env) {
	ctx, cancel := context.WithTimeout(context.Background(), e.T(caseTimeout))
	defer cancel()
	if err := c.Run(ctx, e); err != nil {
		c.Property, c.Failure = name, err.Error()
		if path, serr := c.Save(name); serr == nil {
			t.Logf("replay: %s", ReplayCommand(path))
		}
		t.Fatal(err)
	}
	if err := Healthy(name); err != nil {
		t.Fatal(err)
	}
}

// TestSeedCorpusFiles keeps testdata/fuzz in step with Seeds: fuzz builds
// that ignore f.Add read the corpus from these files. Run with
// -update-corpus to rewrite them.
func TestSeedCorpusFiles(t *testing.T) {
	files := map[string]string{}
	for _, s := range Seeds {
		files[filepath.Join("testdata/fuzz/FuzzTCPStream", s.Name)] = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint16(%d)\n", s.Data, 1023)
		files[filepath.Join("testdata/fuzz/FuzzUDPDatagram", s.Name)] = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.Data)
	}
	for path, want := range files {
		if *updateCorpus {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale: run go test ./fuzz -run TestSeedCorpusFiles -update-corpus", path)
		}
	}
}
