//go:build unix

package target

import (
	"errors"
	"net"
	"path/filepath"
	"testing"
)

// TestEnvFollowsARestart: a server command that dies is restarted on fresh
// ports when it cannot have its own again; the target's Env, its
// follower's and another process's follower's all give the new addresses.
func TestEnvFollowsARestart(t *testing.T) {
	py := upperScript(t)
	// A run on ports that had a run before exits at once, as a server
	// whose ports are still taken would.
	marks := t.TempDir()
	cmd := "m=" + marks + "/{tcp}; if [ -e $m ]; then echo port taken; exit 3; fi; touch $m; exec " + py + " {tcp} {udp}"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	f, path := share(t, tg)
	old := tg.Env(nil)
	if got := f.Env(nil); !sameEnv(got, old) {
		t.Fatalf("follower's Env() = %+v, want %+v", got, old)
	}
	if got, want := followInChild(t, path), seen(old, nil); got != want {
		t.Errorf("another process sees %q, want %q", got, want)
	}

	killServer(t, old.TCP)
	err = tg.Healthy("TCP-EOF")
	var derr *DownError
	if !errors.As(err, &derr) || !derr.Restarted {
		t.Fatalf("Healthy = %#v, want a restart", err)
	}
	now := tg.Env(nil)
	if now.TCP == old.TCP || now.TCP != tg.TCPAddr() || now.UDP != tg.UDPAddr() {
		t.Fatalf("Env() after the restart = %+v; was %+v, addresses now %s %s", now, old, tg.TCPAddr(), tg.UDPAddr())
	}
	if got := f.Env(nil); !sameEnv(got, now) {
		t.Errorf("follower's Env() after the restart = %+v, want %+v", got, now)
	}
	if got, want := followInChild(t, path), seen(now, nil); got != want {
		t.Errorf("another process sees %q after the restart, want %q", got, want)
	}
	if tg.Lost() != nil || f.Lost() != nil {
		t.Errorf("lost after a good restart: %v / %v", tg.Lost(), f.Lost())
	}
	checkServes(t, tg)
	tg.Close()
	pids.checkGone(t)
}

// TestLostIsShared: once a server command cannot be restarted, the target,
// its follower and another process all say so, in the same words.
func TestLostIsShared(t *testing.T) {
	py := upperScript(t)
	mark := filepath.Join(t.TempDir(), "ran")
	cmd := "if [ -e " + mark + " ]; then echo no more; exit 5; fi; touch " + mark + "; exec " + py + " {tcp} 0"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	f, path := share(t, tg)
	killServer(t, tg.TCPAddr())
	err = tg.Healthy("TCP-BYTES")
	var derr *DownError
	if !errors.As(err, &derr) || derr.Restart == nil {
		t.Fatalf("Healthy = %#v, want a failed restart", err)
	}
	lost := tg.Lost()
	if lost == nil || lost.Error() != derr.Restart.Error() {
		t.Fatalf("Lost() = %v, want %v", lost, derr.Restart)
	}
	if got := f.Lost(); got == nil || got.Error() != lost.Error() {
		t.Errorf("follower's Lost() = %v, want %v", got, lost)
	}
	if got, want := followInChild(t, path), seen(tg.Env(nil), lost); got != want {
		t.Errorf("another process sees %q, want %q", got, want)
	}
	tg.Close()
	pids.checkGone(t)
}

// TestLostStaysWhenAnAddressComesBack: an already-running server that is
// down when asked twice is lost, and stays lost for the run when it is
// back.
func TestLostStaysWhenAnAddressComesBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tg, err := Start(t.Context(), Settings{TCP: a}, nil)
	if err != nil {
		ln.Close()
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	ln.Close()
	<-done
	if err := tg.Healthy("TCP-CHURN"); err == nil || tg.Lost() != nil {
		t.Fatalf("first Healthy while down = %v, Lost %v; want a DownError, not lost", err, tg.Lost())
	}
	herr := tg.Healthy("TCP-RESET")
	if herr == nil || tg.Lost() == nil || tg.Lost().Error() != herr.Error() {
		t.Fatalf("second Healthy while down = %v, Lost %v; want lost", herr, tg.Lost())
	}
	ln, err = net.Listen("tcp", a)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", a, err)
	}
	defer ln.Close()
	if err := tg.Healthy("TCP-RESET"); err != nil {
		t.Errorf("Healthy once back: %v", err)
	}
	if tg.Lost() == nil {
		t.Errorf("Lost() is nil once the server is back; want it kept")
	}
}
