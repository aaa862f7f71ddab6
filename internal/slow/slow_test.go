package slow

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBound runs this test binary again with each setting, since the
// factor is read once per process.
func TestBound(t *testing.T) {
	if v, ok := os.LookupEnv("SLOW_TEST_WANT"); ok {
		if got := Bound(time.Second).String(); got != v {
			t.Fatalf("%s=%q: Bound(1s) = %s, want %s", Env, os.Getenv(Env), got, v)
		}
		return
	}
	for _, tc := range []struct{ scale, want string }{
		{"", "1s"}, {"3", "3s"}, {"2.5", "2.5s"}, {"0.3", "1s"}, {"x", "1s"}, {"-2", "1s"}, {"1e9", "1s"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBound$")
		cmd.Env = append(os.Environ(), Env+"="+tc.scale, "SLOW_TEST_WANT="+tc.want)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s=%q: %v\n%s", Env, tc.scale, err, strings.TrimSpace(string(out)))
		}
	}
}
