package target

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/upcheck/upcheck/servers/serverstest"
)

// Target is a running target: the reference servers in process, a server
// command the harness runs, or servers that were already running. Its
// methods are safe for concurrent use.
type Target struct {
	settings Settings // with defaults filled in
	log      *slog.Logger
	out      *lineRing

	ref *serverstest.Server // the in-process reference, if that is the target

	// hasTCP and hasUDP say which placeholders the server command has.
	hasTCP, hasUDP bool

	mu                 sync.Mutex
	tcpAddr, udpAddr   string
	tcpProbe, udpProbe ProbeResult
	proc               *proc // the server command's current run
	ports              ports // its ports
	// gone, when set, is why the target cannot be judged any more: a
	// server command that could not be restarted, an address that stopped
	// answering. Healthy returns it.
	gone *HarnessError
	// lost is the first error of Healthy that said the target cannot be
	// judged any more; Lost returns it.
	lost *HarnessError
	// sharePath is the file Share writes the state to, "" when it is not
	// shared; published is the state last written there.
	sharePath string
	published *sharedState
	closed    bool
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// Start validates s and starts the target it describes:
//
//   - no target setting: the reference servers (servers/serverstest),
//     TCP and UDP, in process on the host (Settings.HostAddr: 127.0.0.1
//     unless Host says ::1, say);
//   - ServerCmd: the command with free ports on the host for {tcp} and
//     {udp}, and the host for {host}, once it answers the pre-flight probe
//     (within 10 s, scaled); a command that exits before it answers is
//     tried again with fresh ports, twice, since a port picked free can be
//     taken before the server binds it;
//   - TCP / UDP: the servers at those addresses, once they answer the probe.
//
// The error is a *HarnessError: a bad setting, or the target is not there (a
// TCP connection refused, UDP datagrams unanswered, a command that exited or
// never answered, with its last output lines in Output). A target that
// answers the probe wrongly is there: Start succeeds and Probe says what
// came back. ctx bounds the start only; Close stops the target. log (nil:
// discard) gets the ports, pids, timings and the command's output (debug).
func Start(ctx context.Context, s Settings, log *slog.Logger) (*Target, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = discardLogger
	}
	t := &Target{settings: s.withDefaults(), log: log, out: newLineRing(OutputKeep)}
	t.tcpProbe.Network, t.udpProbe.Network = "tcp", "udp"
	begin := time.Now()
	var err error
	switch {
	case s.ServerCmd != "":
		t.hasTCP, t.hasUDP = s.Serves()
		t.mu.Lock()
		err = t.bringUp(ctx, ports{})
		t.mu.Unlock()
	case s.TCP != "" || s.UDP != "":
		err = t.startAddrs(ctx)
	default:
		err = t.startReference(ctx)
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	log.Info("target up", "target", t.Describe(), "tcp", t.tcpAddr, "udp", t.udpAddr, "took", time.Since(begin))
	for _, p := range []ProbeResult{t.tcpProbe, t.udpProbe} {
		if !p.OK() {
			log.Warn("target answers the pre-flight probe wrongly", "probe", p.String())
		}
	}
	return t, nil
}

// startReference starts the in-process reference servers and probes them.
func (t *Target) startReference(ctx context.Context) (err error) {
	defer func() {
		// serverstest panics, as httptest does, when loopback cannot be
		// bound; here that is a harness error, not a crash.
		if r := recover(); r != nil {
			err = &HarnessError{Msg: fmt.Sprintf("reference servers: %v", r)}
		}
	}()
	srv := serverstest.NewUnstartedServer()
	srv.Host = t.settings.HostAddr()
	srv.TCP.Logger, srv.UDP.Logger = t.log, t.log
	srv.Start()
	t.ref = srv
	t.tcpAddr, t.udpAddr = srv.TCPAddr, srv.UDPAddr
	if t.tcpProbe, err = probeTCP(ctx, t.settings, t.tcpAddr); err != nil {
		return &HarnessError{Msg: fmt.Sprintf("reference tcp server: nothing answers (%s)", reason(err)), Err: err}
	}
	if t.udpProbe, err = probeUDP(ctx, t.settings, t.udpAddr); err != nil {
		return &HarnessError{Msg: fmt.Sprintf("reference udp server: nothing answers (%s)", reason(err)), Err: err}
	}
	return nil
}

// startAddrs probes already-running servers. When both are given and
// only one answers, the other is there but silent (ProbeResult.Silent):
// its specs fail with what the probe saw, the other's are judged. When
// none answers, the target is not there.
func (t *Target) startAddrs(ctx context.Context) error {
	s := t.settings
	var tcpErr, udpErr error
	if s.TCP != "" {
		t.tcpAddr, t.tcpProbe.Addr = s.TCP, s.TCP
		var res ProbeResult
		if res, tcpErr = probeTCP(ctx, s, s.TCP); tcpErr == nil {
			t.tcpProbe = res
		}
	}
	if s.UDP != "" {
		t.udpAddr, t.udpProbe.Addr = s.UDP, s.UDP
		var res ProbeResult
		if res, udpErr = probeUDP(ctx, s, s.UDP); udpErr == nil {
			t.udpProbe = res
		}
	}
	switch {
	case ctx.Err() != nil && (tcpErr != nil || udpErr != nil):
		// A probe cut short by the start's own deadline says nothing.
		return &HarnessError{Msg: fmt.Sprintf("start cancelled (%s)", reason(ctx.Err())), Err: ctx.Err()}
	case tcpErr != nil && (s.UDP == "" || udpErr != nil):
		return notThere(s.name(setTCP), s.TCP, tcpErr)
	case udpErr != nil && (s.TCP == "" || tcpErr != nil):
		return notThere(s.name(setUDP), s.UDP, udpErr)
	case tcpErr != nil:
		t.tcpProbe.Silent = silence(tcpErr, 0)
	case udpErr != nil:
		t.udpProbe.Silent = silence(udpErr, udpProbeTries)
	}
	return nil
}

// notThere is the harness error of an address where nothing answers.
func notThere(setting, addr string, err error) *HarnessError {
	return &HarnessError{Setting: setting, Msg: fmt.Sprintf("nothing answers at %s (%s)", addr, reason(err)), Err: err}
}

// TCPAddr is host:port of the TCP server under test, "" when TCP is not
// served (the TCP specs skip). After Healthy restarted a server command it
// may have changed: ask again for every check (Env does).
func (t *Target) TCPAddr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tcpAddr
}

// UDPAddr is host:port of the UDP server under test, "" when UDP is not
// served (the UDP specs skip). Like TCPAddr, it may change on a restart.
func (t *Target) UDPAddr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.udpAddr
}

// Settings returns the settings the target was started with, defaults
// filled in (UDPMax and TimeScale are never 0, Host never "").
func (t *Target) Settings() Settings { return t.settings }

// Describe says what the target is, for the report's "target" field; see
// Settings.Describe.
func (t *Target) Describe() string { return t.settings.Describe() }

// Probe returns what the pre-flight probe observed on each protocol (of the
// latest run, after a restart). A result that is not OK means the target
// answers, wrongly: the specs will fail, the harness goes on.
func (t *Target) Probe() (tcp, udp ProbeResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tcpProbe, t.udpProbe
}

// Output returns the last lines (up to OutputKeep) the server command wrote
// to stdout and stderr, over all its runs, with a line from the harness at
// each restart; "" when the target is not a command.
func (t *Target) Output() string {
	return strings.Join(t.out.since(0, 0), "\n")
}

// Healthy is called after a check (id is its requirement ID).
//
// For a server command it returns a *DownError when the command exited
// during the check ("server exited (status 3) while checking TCP-EOF", then
// its last output lines) or stopped listening, and restarts it (the old
// ports first, then fresh ones), so that the next check has a server again:
// ask Env afresh. To catch a server that is dying but not
// yet reaped, it probes TCP ("a" must come back as "A" if it did at the
// start); a UDP-only command is judged by its exit alone. Once a command
// could not be restarted, every call returns that *HarnessError.
//
// For already-running servers it connects to TCP: the first time the
// server refuses, a *DownError; while it stays down, a *HarnessError; nil
// again once it is back. For the in-process reference it returns nil.
//
// Env and Lost, and the file Share writes, follow what Healthy found.
func (t *Target) Healthy(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.healthy(id)
	t.noteLost(err)
	if perr := t.publish(); perr != nil {
		t.log.Warn("the other processes may not see where the target is now", "err", perr.Error())
	}
	return err
}

// healthy is Healthy with t.mu held.
func (t *Target) healthy(id string) error {
	switch {
	case t.closed:
		return &HarnessError{Msg: "target is closed"}
	case t.settings.ServerCmd != "":
		return t.healthyCommand(id)
	case t.settings.TCP != "" && t.tcpProbe.Silent == "":
		return t.healthyAddr(id)
	}
	return nil
}

// healthyAddr re-probes an already-running TCP server with a bare connect.
func (t *Target) healthyAddr(id string) error {
	c, err := dialTCP(context.Background(), t.tcpAddr, t.settings.Scale(probeDialTimeout))
	if err == nil {
		c.Close()
		if t.gone != nil {
			t.log.Info("target answers again", "tcp", t.tcpAddr)
			t.gone = nil
		}
		return nil
	}
	if !isRefused(err) {
		return nil // busy or slow is for the checks to judge
	}
	if t.gone != nil {
		return t.gone
	}
	t.gone = notThere(t.settings.name(setTCP), t.tcpAddr, err)
	return &DownError{ID: id, Reason: "stopped listening on tcp (connection refused)"}
}

// Close stops the target: the server command's whole process group
// (SIGTERM, then SIGKILL after 2 s), reaped, its output read; or the
// in-process servers, their goroutines ended. Nothing it started is left
// running. Close is idempotent.
func (t *Target) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	p, ref := t.proc, t.ref
	t.proc, t.ref = nil, nil
	t.mu.Unlock()
	if p != nil {
		p.stop()
	}
	if ref != nil {
		return ref.Close()
	}
	return nil
}
