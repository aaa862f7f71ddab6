package target

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upcheck/upcheck/suites/check"
)

// sameEnv compares check environments without their Logf.
func sameEnv(a, b check.Env) bool {
	return a.TCP == b.TCP && a.UDP == b.UDP && a.UDPMax == b.UDPMax && a.Scale == b.Scale
}

// share shares tg in a file of a fresh directory and follows it.
func share(t *testing.T, tg *Target) (*Follower, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "target.json")
	if err := tg.Share(path); err != nil {
		t.Fatalf("Share: %v", err)
	}
	f, err := Follow(path)
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	return f, path
}

func TestEnvOfTheReference(t *testing.T) {
	tg, err := Start(context.Background(), Settings{UDPMax: 1000, TimeScale: 2}, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	logged := false
	e := tg.Env(func(string, ...any) { logged = true })
	if e.TCP != tg.TCPAddr() || e.UDP != tg.UDPAddr() || e.TCP == "" || e.UDP == "" || e.UDPMax != 1000 || e.Scale != 2 {
		t.Errorf("Env() = %+v", e)
	}
	if e.Logf("x"); !logged {
		t.Errorf("Env's Logf is not the one given")
	}
	if d, err := Start(context.Background(), Settings{}, nil); err != nil {
		t.Fatalf("Start: %v", err)
	} else {
		if e := d.Env(nil); e.UDPMax != check.DefaultUDPMax || e.Scale != 1 {
			t.Errorf("Env() of the defaults = %+v", e)
		}
		d.Close()
	}
}

// TestShareAndFollow: a follower sees the target's Env, and that the target
// is lost once it is.
func TestShareAndFollow(t *testing.T) {
	tg, err := Start(context.Background(), Settings{TimeScale: 3}, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	f, path := share(t, tg)
	if got, want := f.Env(nil), tg.Env(nil); !sameEnv(got, want) {
		t.Errorf("follower's Env() = %+v, want %+v", got, want)
	}
	if f.Lost() != nil || tg.Lost() != nil {
		t.Errorf("lost at the start: %v / %v", tg.Lost(), f.Lost())
	}
	tg.Close()
	if err := tg.Healthy("TCP-EOF"); err == nil || err.Error() != "target is closed" {
		t.Fatalf("Healthy after Close = %v", err)
	}
	if err := tg.Lost(); err == nil || err.Error() != "target is closed" {
		t.Errorf("Lost() = %v", err)
	}
	var herr *HarnessError
	if err := f.Lost(); !errors.As(err, &herr) || err.Error() != "target is closed" {
		t.Errorf("follower's Lost() = %#v", err)
	}
	// The follower keeps the last state it read when the file goes.
	before := f.Env(nil)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := f.Env(nil); !sameEnv(got, before) || f.Lost() == nil {
		t.Errorf("after the file went: %+v, lost %v", got, f.Lost())
	}
	if _, err := Follow(path); err == nil || !strings.HasPrefix(err.Error(), "cannot read the shared target: ") {
		t.Errorf("Follow(missing file) = %v", err)
	}
}

// childEnv is the variable that makes TestFollowerChild print what it
// follows.
const childEnv = "UPCHECK_TEST_FOLLOW"

// TestFollowerChild is run by followInChild in a process of its own: it
// prints the Env and Lost of the target shared at $UPCHECK_TEST_FOLLOW.
func TestFollowerChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("run by the tests that share a target with another process")
	}
	f, err := Follow(path)
	if err != nil {
		t.Fatal(err)
	}
	e := f.Env(nil)
	os.Stdout.WriteString("follower: " + e.TCP + " " + e.UDP + " lost=" + errText(f.Lost()) + "\n")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// followInChild returns what another process following path sees: "TCP UDP
// lost=TEXT".
func followInChild(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFollowerChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(l, "follower: "); ok {
			return s
		}
	}
	t.Fatalf("child printed no Env:\n%s", out)
	return ""
}

// seen is what followInChild returns for e and lost.
func seen(e check.Env, lost error) string { return e.TCP + " " + e.UDP + " lost=" + errText(lost) }
