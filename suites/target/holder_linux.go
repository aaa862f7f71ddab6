package target

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// portsHeld says, in one clause, who holds the ports of addrs (host:port,
// "" for a protocol not served; TCP first, then UDP) now that a run of the
// server command has ended: "port 127.0.0.1:N (tcp) is held by pid P
// (`cmd`), a server left behind by an upcheck run that ended (pid Q)", or
// "... held by pid P (`cmd`), another program". It is "" when no process
// holds them (or none that can be seen).
func portsHeld(tcpAddr, udpAddr string) string {
	var notes []string
	for _, a := range []struct{ network, addr string }{{"tcp", tcpAddr}, {"udp", udpAddr}} {
		if a.addr == "" {
			continue
		}
		_, portS, err := net.SplitHostPort(a.addr)
		port, err2 := strconv.Atoi(portS)
		if err != nil || err2 != nil {
			continue
		}
		if free(a.network, a.addr) {
			continue // no need to read every socket of the machine
		}
		if who := portHolder(a.network, port); who != "" {
			notes = append(notes, fmt.Sprintf("port %s (%s) is held by %s", a.addr, a.network, who))
		}
	}
	return strings.Join(notes, "; ")
}

// free reports whether addr can be bound on network now (and releases it
// at once).
func free(network, addr string) bool {
	if network == "tcp" {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
		}
		return err == nil
	}
	pc, err := net.ListenPacket("udp", addr)
	if err == nil {
		pc.Close()
	}
	return err == nil
}

// portHolder describes the process holding a socket bound to local port on
// network ("tcp": a listener; "udp": any socket), or "" when none is found.
func portHolder(network string, port int) string {
	inodes := socketInodes(network, port)
	if len(inodes) == 0 {
		return ""
	}
	pid := socketOwner(inodes)
	if pid == 0 {
		return "a process this user cannot see"
	}
	return describeHolder(pid)
}

// socketInodes returns the inodes of the sockets bound to local port in
// /proc/net/{network,network6}: for TCP, listeners only (a connection that
// happens to have the port as its own, or one in TIME_WAIT, is no server).
func socketInodes(network string, port int) map[string]bool {
	inodes := map[string]bool{}
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{network, network + "6"} {
		b, err := os.ReadFile("/proc/net/" + f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan() // the header
		for sc.Scan() {
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(sc.Text())
			if len(fs) < 10 || !strings.HasSuffix(fs[1], want) || fs[9] == "0" {
				continue
			}
			if network == "tcp" && fs[3] != "0A" { // TCP_LISTEN
				continue
			}
			inodes[fs[9]] = true
		}
	}
	return inodes
}

// socketOwner returns a process with a file descriptor on one of the
// sockets inodes, 0 if none can be seen.
func socketOwner(inodes map[string]bool) int {
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		l, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(l, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid
		}
	}
	return 0
}

// ownerMark returns the UPCHECK_OWNER mark in the environment of process
// pid, or "" when it has none or cannot be read.
func ownerMark(pid int) string {
	owner := ""
	if env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); err == nil {
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(ownerEnv+"=")); ok {
				owner = string(v)
			}
		}
	}
	return owner
}

// describeHolder says who pid is: "pid P (`cmd`), " and whose: a server of
// this run, of another upcheck run still running, one left behind by an
// upcheck run that ended (by its UPCHECK_OWNER mark), or another program.
func describeHolder(pid int) string {
	who := fmt.Sprintf("pid %d (`%s`), ", pid, cmdline(pid))
	owner := ownerMark(pid)
	ownerPid, _, _ := strings.Cut(owner, ":")
	switch {
	case owner == "":
		return who + "another program"
	case owner == processID(os.Getpid()):
		return who + "a server this upcheck run started"
	case ended(owner):
		return who + "a server left behind by an upcheck run that ended (pid " + ownerPid + ")"
	}
	return who + "a server of another upcheck run, still running (pid " + ownerPid + ")"
}

// cmdline is pid's command line, spaces between the arguments, cut short.
func cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return "?"
	}
	return shortCmd(strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")))
}

// shortCmd cuts a command line to 160 bytes.
func shortCmd(s string) string {
	if len(s) > 160 {
		return s[:157] + "..."
	}
	return s
}
