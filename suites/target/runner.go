package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/upcheck/upcheck/clients"
)

// How a server command is brought up.
const (
	// startTimeout bounds, before scaling, the wait for a command to
	// answer the probe, over all its attempts.
	startTimeout = 10 * time.Second
	// startAttempts is how many times a command that exits before it
	// answers is run, each time with fresh ports.
	startAttempts = 3
	// Readiness polling: one probe at a time (Python's socketserver listens
	// with a backlog of 5), the pause doubling from the first to the last.
	pollFirst = 10 * time.Millisecond
	pollMax   = 100 * time.Millisecond
	// healthWait bounds, before scaling, how long Healthy waits for a
	// command whose listener refuses to be reported as exited.
	healthWait = 2 * time.Second
	// healthDial bounds Healthy's connect and its probe's reply, before
	// scaling.
	healthDial = time.Second
	// healthTries is how many probes Healthy makes of a server that
	// answered "A" at the start and does not now.
	healthTries = 5
)

// ports are the ports given to a server command; 0 for a placeholder it
// does not have.
type ports struct{ tcp, udp int }

// pickPorts picks a free port on host for each protocol asked for, by
// binding host:0 and closing. The port is free when picked, not reserved:
// bringUp retries when a command cannot bind it.
func pickPorts(host string, tcp, udp bool) (ports, error) {
	var p ports
	if tcp {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return p, err
		}
		p.tcp = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	if udp {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			return p, err
		}
		p.udp = pc.LocalAddr().(*net.UDPAddr).Port
		pc.Close()
	}
	return p, nil
}

// addr is host:port ("[::1]:port" for IPv6), or "" for port 0.
func addr(host string, port int) string {
	if port == 0 {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// bringUp runs the server command until a run answers the probe, with
// attempts as Start documents; first, if not zero, are the ports of the
// first attempt (a restart tries the old ports first, so addresses handed
// out stay good when they can). It sets t.proc, t.ports, the addresses and
// probes. t.mu is held.
func (t *Target) bringUp(ctx context.Context, first ports) error {
	s := t.settings
	bound := s.Scale(startTimeout)
	deadline := time.Now().Add(bound)
	for attempt := 1; ; attempt++ {
		ps := first
		if attempt > 1 || ps == (ports{}) {
			var err error
			if ps, err = pickPorts(s.HostAddr(), t.hasTCP, t.hasUDP); err != nil {
				return &HarnessError{Setting: s.name(setServerCmd), Msg: fmt.Sprintf("cannot pick a free port: %v", err), Err: err}
			}
		}
		herr, retry := t.launch(ctx, ps, deadline, bound)
		if herr == nil {
			return nil
		}
		if retry == "" || attempt == startAttempts || time.Now().After(deadline) {
			return herr
		}
		t.out.add("upcheck: " + retry + "; trying fresh ports")
		t.log.Info("server command exited before answering; trying fresh ports", "attempt", attempt, "err", herr.Error())
	}
}

// launch runs the command once on ps and waits until it answers, exits, or
// deadline passes. retry, when not "", says that another attempt may help,
// and why (for the output): only a run that exited by itself with a failure
// status (a port taken, say) is retried, not one that was not found, exited
// 0 (a command that puts its server in the background) or never answered.
func (t *Target) launch(ctx context.Context, ps ports, deadline time.Time, bound time.Duration) (herr *HarnessError, retry string) {
	s := t.settings
	name := s.name(setServerCmd)
	host := s.HostAddr()
	p, err := startProc(s.Dir, expand(s.ServerCmd, host, ps.tcp, ps.udp), t.out, t.log)
	if err != nil {
		return &HarnessError{Setting: name, Msg: fmt.Sprintf("%q cannot be started: %v", s.ServerCmd, err), Err: err}, ""
	}
	tcp := ProbeResult{Network: "tcp", Addr: addr(host, ps.tcp)}
	udp := ProbeResult{Network: "udp", Addr: addr(host, ps.udp)}
	began := time.Now()
	why, err := waitUp(ctx, s, p, &tcp, &udp, deadline)
	switch why {
	case upReady:
		t.proc, t.ports = p, ps
		t.tcpAddr, t.udpAddr = tcp.Addr, udp.Addr
		t.tcpProbe, t.udpProbe = tcp, udp
		t.log.Info("server command answers", "pid", p.pid, "tcp", tcp.Addr, "udp", udp.Addr, "took", time.Since(began))
		return nil, ""
	case upExited:
		p.finish()
		msg := fmt.Sprintf("%q exited (%s) before answering", s.ServerCmd, p.status())
		code := p.exitCode()
		if code == 0 {
			msg += ": the command must keep the server running in the foreground"
		}
		held := portsHeld(tcp.Addr, udp.Addr) // a server left behind, or another program
		if held != "" {
			msg += "; " + held
			t.log.Warn("server command exited before answering; " + held)
		}
		herr = &HarnessError{Setting: name, Msg: msg, Output: p.lastOutput(OutputLines)}
		if code != 0 && code != 126 && code != 127 {
			retry = "the command exited (" + p.status() + ") before answering"
			if held != "" {
				retry += "; " + held
			}
		}
		return herr, retry
	case upCancelled:
		p.stop()
		return &HarnessError{Setting: name, Msg: fmt.Sprintf("%q: start cancelled (%s)", s.ServerCmd, reason(err)), Output: p.lastOutput(OutputLines), Err: err}, ""
	default: // upTimeout
		p.stop()
		return &HarnessError{Setting: name,
			Msg:    fmt.Sprintf("%q did not answer within %v (%s)", s.ServerCmd, bound.Round(time.Millisecond), reason(err)),
			Output: p.lastOutput(OutputLines), Err: err}, ""
	}
}

type upOutcome int

const (
	upReady upOutcome = iota
	upExited
	upTimeout
	upCancelled
)

// waitUp polls a starting command, one probe at a time, until every
// protocol it serves answers, the command exits, or deadline passes. A
// protocol answers when a TCP connection is accepted (what comes back for
// "a" is then noted in tcp) or a UDP reply arrives (noted in udp). err is
// the last probe's failure, prefixed by its protocol (TCP's first).
//
// A command that serves both protocols and by the deadline answers on one
// of them only is up: the silent side's ProbeResult.Silent says what the
// probe saw, and that protocol's specs fail with it while the other's are
// judged. Only a command that answers on no protocol times out.
func waitUp(ctx context.Context, s Settings, p *proc, tcp, udp *ProbeResult, deadline time.Time) (upOutcome, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	tcpUp, udpUp := !tcp.Served(), !udp.Served()
	var u *udpProber
	defer func() {
		if u != nil {
			u.close()
		}
	}()
	var lastTCP, lastUDP error = errNotYet, errNotYet
	last := func() error {
		if !tcpUp || udpUp {
			return lastTCP
		}
		return lastUDP
	}
	pause := pollFirst
	for {
		if p.exited() {
			return upExited, last()
		}
		if ctx.Err() != nil {
			if time.Now().Before(deadline) {
				return upCancelled, ctx.Err()
			}
			if answered := (tcp.Served() && tcpUp) || (udp.Served() && udpUp); answered {
				if !tcpUp {
					tcp.Silent = silence(lastTCP, 0)
				}
				if !udpUp {
					sent := 0
					if u != nil {
						sent = u.sent
					}
					udp.Silent = silence(lastUDP, sent)
				}
				return upReady, nil
			}
			return upTimeout, last()
		}
		if !tcpUp {
			c, err := dialTCP(ctx, tcp.Addr, min(s.Scale(probeDialTimeout), time.Until(deadline)))
			switch {
			case err == nil:
				exchangeTCP(c, min(s.Scale(probeReplyTimeout), time.Until(deadline)), tcp)
				tcpUp = true
			case ctx.Err() == nil || lastTCP == errNotYet:
				// (A dial cut short by the deadline keeps the reason
				// before it, so that the error does not depend on timing.)
				lastTCP = protoErr{"tcp", err}
			}
		}
		if !udpUp {
			if u == nil {
				var err error
				if u, err = newUDPProber(udp.Addr); err != nil {
					return upTimeout, protoErr{"udp", err}
				}
			}
			switch err := u.try(ctx, s.Scale(udpProbeFirstWait), udp); {
			case err == nil:
				udpUp = true
			case clients.IsTimeout(err):
				lastUDP = protoErr{"udp", errNoReply{}}
			default:
				lastUDP = protoErr{"udp", err}
			}
		}
		if tcpUp && udpUp {
			return upReady, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-p.done:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		pause = min(2*pause, pollMax)
	}
}

// errNotYet is waitUp's failure before any probe was made.
var errNotYet = errors.New("not probed yet")

// protoErr is a probe failure on one protocol; reason names the protocol.
type protoErr struct {
	network string
	err     error
}

func (e protoErr) Error() string { return e.network + ": " + e.err.Error() }
func (e protoErr) Unwrap() error { return e.err }

// tcpRefused probes the TCP server of a running command after a check and
// returns the dial's error when nothing listens, nil otherwise. A check can
// see the server die (an EOF, a reset) a moment before its listener closes
// and before its exit is reported, so a connect that fails otherwise than by
// a timeout, or a server that answered the start's probe with "A" and now
// ends the connection without it, is probed again a few times, each pause
// ending early if the command exits. One that accepts and stays silent is
// alive: it is not asked again. One that still runs and ends every new
// connection unanswered, after a last pause too, stopped serving: that is
// an *unservedError.
func (t *Target) tcpRefused(p *proc) error {
	s := t.settings
	pause := pollFirst
	var res ProbeResult
	for try := 1; ; try++ {
		c, err := dialTCP(context.Background(), t.tcpAddr, s.Scale(healthDial))
		switch {
		case err == nil && !t.tcpProbe.OK():
			c.Close() // wrong from the start: a connect is all there is to ask
			return nil
		case err == nil:
			res = ProbeResult{}
			exchangeTCP(c, s.Scale(healthDial), &res)
			if string(res.Reply) == probeWant {
				return nil
			}
			if res.Reply == nil && res.End == "timeout" {
				// Accepted, and silent: alive, busy or stuck, which is
				// for the checks to judge. A dying server ends the
				// connection instead; asking a stuck one again would
				// only wait on it again.
				return nil
			}
			t.log.Debug("health probe: no \"A\"", "try", try, "reply", res.Reply, "end", res.End)
		case isRefused(err):
			return err
		case clients.IsTimeout(err):
			return nil // busy or slow is for the checks to judge
		default:
			t.log.Debug("health probe: connect failed", "try", try, "err", err)
		}
		if try == healthTries {
			if err == nil && res.Reply == nil && !p.exited() {
				// Every new connection ended unanswered, by a server
				// that answered the start's probe: it stopped serving.
				// One last try after a pause tells that from a moment
				// of overload.
				if c, err := dialTCP(context.Background(), t.tcpAddr, s.Scale(healthDial)); err == nil {
					clients.Sleep(context.Background(), s.Scale(healthWait)/2)
					last := ProbeResult{}
					exchangeTCP(c, s.Scale(healthDial), &last)
					if last.Reply == nil && last.End != "timeout" && !p.exited() {
						return &unservedError{end: last.End}
					}
				}
			}
			return nil
		}
		tm := time.NewTimer(pause)
		select {
		case <-p.done:
		case <-tm.C:
		}
		tm.Stop()
		if p.exited() {
			return nil
		}
		pause *= 2
	}
}

// unservedError is tcpRefused's finding that a server still running and
// listening, which answered the start's probe, ends every new connection
// unanswered: it stopped serving, and is restarted as if it had exited.
type unservedError struct{ end string }

func (e *unservedError) Error() string {
	return "stopped serving new connections (each ended unanswered: " + e.end + ")"
}

// healthyCommand checks the command's current run after check id, and
// restarts it when it went away. t.mu is held.
func (t *Target) healthyCommand(id string) error {
	if t.gone != nil {
		return t.gone
	}
	p, s := t.proc, t.settings
	how := ""
	unservedDown := false
	if !p.exited() {
		if t.tcpAddr == "" || t.tcpProbe.Silent != "" {
			// UDP only, or TCP never answered: nothing but the exit to
			// go by.
			return nil
		}
		refused := t.tcpRefused(p)
		if refused == nil && !p.exited() {
			return nil
		}
		var unserved *unservedError
		if errors.As(refused, &unserved) {
			how, unservedDown = unserved.Error(), true
		} else if refused != nil {
			// Nothing listens: the server is going. Wait for its exit
			// to be sure what happened.
			tm := time.NewTimer(s.Scale(healthWait))
			select {
			case <-p.done:
			case <-tm.C:
				how = "stopped listening on tcp (" + reason(refused) + ")"
			}
			tm.Stop()
		}
	}
	if how == "" {
		p.finish()
		how = "exited (" + p.status() + ")"
	} else {
		p.stop()
	}
	derr := &DownError{ID: id, Reason: how, Output: p.lastOutput(OutputLines), Unserved: unservedDown}
	t.out.add(fmt.Sprintf("upcheck: server %s while checking %s; restarting it", how, id))
	t.log.Warn("server command went away; restarting it", "id", id, "how", how, "pid", p.pid)
	t.proc = nil
	if err := t.bringUp(context.Background(), t.ports); err != nil {
		// The old addresses stay: the next checks fail to connect, and
		// Healthy says from now on that they cannot be judged.
		herr, ok := err.(*HarnessError)
		if !ok {
			herr = &HarnessError{Setting: s.name(setServerCmd), Msg: err.Error(), Err: err}
		}
		derr.Restart, t.gone = herr, herr
		return derr
	}
	derr.Restarted = true
	return derr
}
