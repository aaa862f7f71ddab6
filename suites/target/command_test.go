//go:build unix

package target

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/internal/ipv6test"
	"github.com/upcheck/upcheck/internal/slow"
)

// upperPy is the seed's pair of socketserver servers, taking the TCP and UDP
// ports as arguments (0: not served) and, optionally, the host to listen on
// (127.0.0.1 by default; an IPv6 address such as ::1 works). A TCP chunk "die" makes it exit with
// status 4, as a server that crashes on some input would; "unlisten" makes
// it close its listener and hang on, as a wedged server would.
const upperPy = `
import os, socket, socketserver, sys, threading, time
tcp_port, udp_port = int(sys.argv[1]), int(sys.argv[2])
host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
family = socket.AF_INET6 if ":" in host else socket.AF_INET
class T(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            try:
                data = self.request.recv(1024)
            except ConnectionResetError:
                break
            if len(data) == 0:
                break
            if data == b"die":
                print("dying on request", file=sys.stderr, flush=True)
                os._exit(4)
            if data == b"unlisten":
                self.server.shutdown()
                self.server.socket.close()
                print("stopped listening", file=sys.stderr, flush=True)
                time.sleep(3600)
            self.request.send(data.upper())
class U(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data.upper(), self.client_address)
class TS(socketserver.ThreadingTCPServer):
    address_family = family
class US(socketserver.ThreadingUDPServer):
    address_family = family
servers = []
if tcp_port:
    servers.append(TS((host, tcp_port), T))
if udp_port:
    servers.append(US((host, udp_port), U))
print("listening", flush=True)
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
`

// upperScript writes upperPy to a file and returns the command that runs
// it, or skips the test without python3.
func upperScript(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "upper.py")
	if err := os.WriteFile(path, []byte(upperPy), 0o644); err != nil {
		t.Fatal(err)
	}
	return py + " -u " + path
}

// pidLog is a slog handler that remembers the pid of every server command
// started, so tests can check that each process group is gone.
type pidLog struct {
	mu   sync.Mutex
	pids []int
}

func (h *pidLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *pidLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *pidLog) WithGroup(string) slog.Handler            { return h }
func (h *pidLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "server command started" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "pid" {
			h.mu.Lock()
			h.pids = append(h.pids, int(a.Value.Int64()))
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

func (h *pidLog) started() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.pids...)
}

// checkGone checks that no process of the group of each pid is alive
// (zombies waiting for init to reap them do not count).
func (h *pidLog) checkGone(t *testing.T) {
	t.Helper()
	for _, pid := range h.started() {
		if groupAlive(pid) {
			t.Errorf("process group %d still alive", pid)
		}
	}
}

func startLogged(t *testing.T, s Settings) (*Target, *pidLog, error) {
	t.Helper()
	h := &pidLog{}
	tg, err := Start(context.Background(), s, slog.New(h))
	return tg, h, err
}

func TestCommandServes(t *testing.T) {
	py := upperScript(t)
	// A child left in the background must go too.
	cmd := "sleep 60 & " + py + " {tcp} {udp}"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(tg.TCPAddr(), "127.0.0.1:") || !strings.HasPrefix(tg.UDPAddr(), "127.0.0.1:") {
		t.Errorf("addresses %q %q", tg.TCPAddr(), tg.UDPAddr())
	}
	checkServes(t, tg)
	if tcp, udp := tg.Probe(); !tcp.OK() || !udp.OK() {
		t.Errorf("probe %v / %v", tcp, udp)
	}
	if err := tg.Healthy("TCP-ROUNDTRIP"); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if got, want := tg.Describe(), "command: "+cmd; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if out := tg.Output(); out != "listening" {
		t.Errorf("Output() = %q, want %q", out, "listening")
	}
	if n := len(pids.started()); n != 1 {
		t.Errorf("started %d times, want once", n)
	}
	if err := tg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	pids.checkGone(t)
}

// TestCommandOnHost: a command given a host other than 127.0.0.1 gets it
// in {host}, its ports picked free there, and is probed, dialed and
// described there.
func TestCommandOnHost(t *testing.T) {
	py := upperScript(t)
	for _, tc := range []struct{ host, prefix, describe string }{
		{"127.0.0.2", "127.0.0.2:", " on 127.0.0.2"},
		{"::1", "[::1]:", " on ::1"},
		{"[::1]", "[::1]:", " on ::1"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			if strings.Contains(tc.host, ":") {
				ipv6test.Need(t)
			}
			cmd := py + " {tcp} {udp} {host}"
			tg, pids, err := startLogged(t, Settings{ServerCmd: cmd, Host: tc.host})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer pids.checkGone(t)
			defer tg.Close()
			if !strings.HasPrefix(tg.TCPAddr(), tc.prefix) || !strings.HasPrefix(tg.UDPAddr(), tc.prefix) {
				t.Errorf("addresses %q %q, want them on %s", tg.TCPAddr(), tg.UDPAddr(), tc.host)
			}
			checkServes(t, tg)
			if tcp, udp := tg.Probe(); !tcp.OK() || !udp.OK() {
				t.Errorf("probe %v / %v", tcp, udp)
			}
			if err := tg.Healthy("TCP-ROUNDTRIP"); err != nil {
				t.Errorf("Healthy: %v", err)
			}
			if got, want := tg.Describe(), "command: "+cmd+tc.describe; got != want {
				t.Errorf("Describe() = %q, want %q", got, want)
			}
			if e := tg.Env(nil); e.TCP != tg.TCPAddr() || e.UDP != tg.UDPAddr() {
				t.Errorf("Env() = %+v, want the target's addresses", e)
			}
		})
	}
}

func TestCommandOneProtocol(t *testing.T) {
	py := upperScript(t)
	for _, tc := range []struct{ cmd, served string }{
		{py + " {tcp} 0", "tcp"},
		{py + " 0 {udp}", "udp"},
	} {
		tg, pids, err := startLogged(t, Settings{ServerCmd: tc.cmd})
		if err != nil {
			t.Fatalf("Start(%q): %v", tc.cmd, err)
		}
		if (tg.TCPAddr() != "") != (tc.served == "tcp") || (tg.UDPAddr() != "") != (tc.served == "udp") {
			t.Errorf("%s only: addresses %q %q", tc.served, tg.TCPAddr(), tg.UDPAddr())
		}
		checkServes(t, tg)
		if err := tg.Healthy("UDP-ROUNDTRIP"); err != nil {
			t.Errorf("Healthy: %v", err)
		}
		tg.Close()
		pids.checkGone(t)
	}
}

// TestCommandExitingAtOnce: a command that exits before it answers ends
// the start at once with a harness error naming the command, its status
// and its last output, after the retries a taken port deserves.
func TestCommandExitingAtOnce(t *testing.T) {
	for _, tc := range []struct {
		cmd, want, output string
		runs              int
	}{
		{"echo boom; echo on {tcp} >&2; exit 3",
			`UPCHECK_SERVER_CMD: "echo boom; echo on {tcp} >&2; exit 3" exited (status 3) before answering`, "boom", startAttempts},
		{"upcheck-no-such-command {tcp}",
			`UPCHECK_SERVER_CMD: "upcheck-no-such-command {tcp}" exited (status 127: command not found) before answering`, "upcheck-no-such-command", 1},
		{"true {udp}",
			`UPCHECK_SERVER_CMD: "true {udp}" exited (status 0) before answering: the command must keep the server running in the foreground`, "", 1},
		{"kill -9 $$ {tcp}",
			`UPCHECK_SERVER_CMD: "kill -9 $$ {tcp}" exited (signal 9: killed) before answering`, "", startAttempts},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			begin := time.Now()
			tg, pids, err := startLogged(t, Settings{ServerCmd: tc.cmd})
			took := time.Since(begin)
			if tg != nil {
				tg.Close()
				t.Fatal("Start succeeded")
			}
			var herr *HarnessError
			if !errors.As(err, &herr) || herr.Setting != EnvServerCmd {
				t.Fatalf("Start = %#v, want a *HarnessError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if !strings.Contains(herr.Output, tc.output) || strings.Count(herr.Output, "\n") >= OutputLines {
				t.Errorf("Output = %q, want its last lines with %q", herr.Output, tc.output)
			}
			if tc.output == "boom" && !strings.Contains(herr.Output, "boom\non ") {
				t.Errorf("Output = %q, want stdout and stderr, in order, of the last run only", herr.Output)
			}
			if n := len(pids.started()); n != tc.runs {
				t.Errorf("ran %d times, want %d", n, tc.runs)
			}
			if took > slow.Bound(5*time.Second) {
				t.Errorf("took %v to report, want well under 10 s", took)
			}
			// The shell was the group's only process, and is reaped.
			for _, pid := range pids.started() {
				if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("kill(-%d, 0) = %v, want ESRCH", pid, err)
				}
			}
		})
	}
}

// TestCommandNeverAnswering: a command that runs but never listens ends the
// start after the scaled bound, and is killed.
func TestCommandNeverAnswering(t *testing.T) {
	for _, tc := range []struct {
		cmd   string
		scale float64
		want  string
	}{
		{"echo waiting; sleep 60 # {tcp}", 0.2,
			`UPCHECK_SERVER_CMD: "echo waiting; sleep 60 # {tcp}" did not answer within 2s (tcp: connection refused)`},
		{"echo waiting; sleep 60 # {udp}", 0.1,
			`UPCHECK_SERVER_CMD: "echo waiting; sleep 60 # {udp}" did not answer within 1s (udp: no reply)`},
	} {
		bound := Settings{TimeScale: tc.scale}.Scale(startTimeout)
		begin := time.Now()
		tg, pids, err := startLogged(t, Settings{ServerCmd: tc.cmd, TimeScale: tc.scale})
		took := time.Since(begin)
		if tg != nil {
			tg.Close()
			t.Fatal("Start succeeded")
		}
		var herr *HarnessError
		if !errors.As(err, &herr) || err.Error() != tc.want {
			t.Fatalf("Start = %v\nwant %s", err, tc.want)
		}
		if herr.Output != "waiting" {
			t.Errorf("Output = %q", herr.Output)
		}
		if took < bound || took > bound+slow.Bound(3*time.Second) {
			t.Errorf("took %v, want the %v bound and the stop", took, bound)
		}
		if n := len(pids.started()); n != 1 {
			t.Errorf("ran %d times, want once", n)
		}
		pids.checkGone(t)
	}
}

// TestCommandRetriedOnTakenPort: a run that exits because its port was
// taken is retried with fresh ports.
func TestCommandRetriedOnTakenPort(t *testing.T) {
	py := upperScript(t)
	mark := filepath.Join(t.TempDir(), "ran")
	cmd := "if [ -e " + mark + " ]; then exec " + py + " {tcp} {udp}; fi; touch " + mark +
		"; echo 'OSError: [Errno 98] Address already in use' >&2; exit 1"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	checkServes(t, tg)
	if n := len(pids.started()); n != 2 {
		t.Errorf("ran %d times, want twice", n)
	}
	if out, want := tg.Output(), "OSError: [Errno 98] Address already in use\n"+
		"upcheck: the command exited (status 1) before answering; trying fresh ports\nlistening"; out != want {
		t.Errorf("Output() = %q", out)
	}
	tg.Close()
	pids.checkGone(t)
}

// killServer makes the upper.py server at addr exit with status 4, and
// waits until the connection shows it (EOF or reset).
func killServer(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("die")); err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, c); n != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("after die: %d bytes, %v; want EOF or reset", n, err)
	}
}

// TestCommandDyingDuringACheck: Healthy blames the check, shows the last
// output, and restarts the server for the next check.
func TestCommandDyingDuringACheck(t *testing.T) {
	py := upperScript(t)
	tg, pids, err := startLogged(t, Settings{ServerCmd: "sleep 60 & " + py + " {tcp} {udp}"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	first := pids.started()[0]
	killServer(t, tg.TCPAddr())
	err = tg.Healthy("TCP-EOF")
	var derr *DownError
	if !errors.As(err, &derr) {
		t.Fatalf("Healthy = %#v, want a *DownError", err)
	}
	want := "server exited (status 4) while checking TCP-EOF; its last output:\n    listening\n    dying on request"
	if err.Error() != want {
		t.Errorf("Healthy:\n got %q\nwant %q", err, want)
	}
	if !derr.Restarted || derr.Restart != nil {
		t.Errorf("Restarted %v, Restart %v", derr.Restarted, derr.Restart)
	}
	if groupAlive(first) {
		t.Errorf("first run's group still alive")
	}
	checkServes(t, tg)
	if tcp, udp := tg.Probe(); !tcp.OK() || !udp.OK() {
		t.Errorf("probe after restart %v / %v", tcp, udp)
	}
	if err := tg.Healthy("TCP-RESET"); err != nil {
		t.Errorf("Healthy after restart: %v", err)
	}
	// The restart tries the old ports first; Python's socketserver may not
	// bind them again so soon (no SO_REUSEADDR), then fresh ones do.
	if out := tg.Output(); !strings.HasPrefix(out, "listening\ndying on request\nupcheck: server exited (status 4) while checking TCP-EOF; restarting it\n") ||
		!strings.HasSuffix(out, "\nlistening") {
		t.Errorf("Output() = %q", out)
	}
	tg.Close()
	pids.checkGone(t)
}

// TestCommandThatStopsListening: a server that closes its listener but
// goes on running is blamed, stopped and restarted.
func TestCommandThatStopsListening(t *testing.T) {
	py := upperScript(t)
	// Scale 1: the restart waits for a Python start, which takes seconds on
	// a loaded machine.
	tg, pids, err := startLogged(t, Settings{ServerCmd: py + " {tcp} 0", TimeScale: 1})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	a := tg.TCPAddr()
	c, err := net.DialTimeout("tcp", a, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("unlisten")); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // until connecting is refused
		c, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			break
		}
		c.Close()
		if i == 500 {
			t.Fatal("the server still listens")
		}
		time.Sleep(10 * time.Millisecond)
	}
	err = tg.Healthy("TCP-CHURN")
	var derr *DownError
	if !errors.As(err, &derr) || !derr.Restarted ||
		derr.Headline() != "server stopped listening on tcp (connection refused) while checking TCP-CHURN" ||
		!strings.HasSuffix(derr.Output, "stopped listening") {
		t.Fatalf("Healthy = %#v (restart: %v)", err, derr.Restart)
	}
	if n := len(pids.started()); n < 2 {
		t.Errorf("started %d times, want a restart", n)
	}
	if groupAlive(pids.started()[0]) {
		t.Errorf("the wedged run is still alive")
	}
	checkServes(t, tg)
	tg.Close()
	pids.checkGone(t)
}

// TestCommandThatCannotRestart: once the restart fails, the check that saw
// the death fails and every later one cannot be judged.
func TestCommandThatCannotRestart(t *testing.T) {
	py := upperScript(t)
	mark := filepath.Join(t.TempDir(), "ran")
	cmd := "if [ -e " + mark + " ]; then echo no more; exit 5; fi; touch " + mark + "; exec " + py + " {tcp} 0"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer tg.Close()
	killServer(t, tg.TCPAddr())
	err = tg.Healthy("TCP-BYTES")
	var derr *DownError
	if !errors.As(err, &derr) || derr.Restarted || derr.Restart == nil {
		t.Fatalf("Healthy = %#v, want a *DownError with a failed restart", err)
	}
	want := `server exited (status 4) while checking TCP-BYTES; it could not be restarted: UPCHECK_SERVER_CMD: "` + cmd + `" exited (status 5) before answering`
	if derr.Headline() != want {
		t.Errorf("Headline:\n got %s\nwant %s", derr.Headline(), want)
	}
	err = tg.Healthy("TCP-STREAM")
	var herr *HarnessError
	if !errors.As(err, &herr) || herr != derr.Restart || herr.Output != "no more" {
		t.Errorf("Healthy after = %#v, want the restart's *HarnessError", err)
	}
	tg.Close()
	pids.checkGone(t)
}

// TestCloseKillsWhatIgnoresSIGTERM: a server that ignores SIGTERM is killed
// after the grace period.
func TestCloseKillsWhatIgnoresSIGTERM(t *testing.T) {
	py := upperScript(t)
	tg, pids, err := startLogged(t, Settings{ServerCmd: "trap '' TERM; " + py + " {tcp} 0"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	begin := time.Now()
	if err := tg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(begin); took < stopGrace || took > stopGrace+slow.Bound(2*time.Second) {
		t.Errorf("Close took %v, want the %v grace then SIGKILL", took, stopGrace)
	}
	pids.checkGone(t)
}

// TestCommandRunsInModuleRoot: a relative path in the command means the same
// whether the harness runs from the module root (make conformance) or from
// suites/ (go test ./suites): commands run in the directory of go.mod.
func TestCommandRunsInModuleRoot(t *testing.T) {
	py := upperScript(t)
	cmd := "test -f go.mod -a -d suites/target || exit 9; " + py + " {tcp} {udp}"
	tg, pids, err := startLogged(t, Settings{ServerCmd: cmd})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	checkServes(t, tg)
	tg.Close()
	pids.checkGone(t)
}

// TestCommandWithOneSilentProtocol: a command whose TCP side answers and
// whose UDP port is bound and never read is up once the start's bound
// passes: its UDP side is silent, a verdict for the UDP specs, and what the
// other processes read says so.
func TestCommandWithOneSilentProtocol(t *testing.T) {
	py := upperScript(t)
	bind := `python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",int(sys.argv[1]))); time.sleep(60)' {udp}`
	s := Settings{ServerCmd: py + " {tcp} 0 & exec " + bind}
	tg, pids, err := startLogged(t, s)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tcp, udp := tg.Probe()
	if !tcp.OK() || tcp.Silent != "" || !strings.HasPrefix(udp.Silent, "no reply to any of ") || !strings.HasSuffix(udp.Silent, " datagrams") {
		t.Errorf("probe %v / %v", tcp, udp)
	}
	path := filepath.Join(t.TempDir(), "target.json")
	if err := tg.Share(path); err != nil {
		t.Fatal(err)
	}
	f, err := Follow(path)
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Env(nil); e.UDPSilent != udp.Silent || e.TCPSilent != "" || e.TCP == "" {
		t.Errorf("shared Env = %+v", e)
	}
	if err := tg.Healthy("UDP-ROUNDTRIP"); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if err := tg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	pids.checkGone(t)
}
