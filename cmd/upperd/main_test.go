package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/clients"
	"github.com/upcheck/upcheck/internal/cmdtest"
	"github.com/upcheck/upcheck/internal/slow"
)

// testTimeout bounds every wait, on the process and on the network.
var testTimeout = slow.Bound(10 * time.Second)

// bin is the upperd binary built once by TestMain.
var bin string

func TestMain(m *testing.M) { cmdtest.Main(m, "upperd", &bin) }

// proc is a running upperd whose stderr is collected line by line.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{} // signalled when a line arrives
	done  chan struct{} // closed when stderr ends
	exit  chan error    // cmd.Wait's result
}

// start runs upperd with args; the process is killed when the test ends if
// it is still running.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*testTimeout)
	p := &proc{
		cmd:   exec.CommandContext(ctx, bin, args...),
		added: make(chan struct{}, 1),
		done:  make(chan struct{}),
		exit:  make(chan error, 1),
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		<-p.done // Wait closes the pipe: read it all first
		p.exit <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		cancel()
		t.Logf("upperd %s stderr:\n%s", strings.Join(args, " "), p.stderr())
	})
	return p
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine waits for a stderr line matching re and returns its submatches.
func (p *proc) waitLine(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(testTimeout)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-p.done:
			// Stderr ended: look once more, then give up.
			p.mu.Lock()
			for _, l := range p.lines {
				if m := re.FindStringSubmatch(l); m != nil {
					p.mu.Unlock()
					return m
				}
			}
			p.mu.Unlock()
			t.Fatalf("upperd ended without logging a line matching %v", re)
		case <-timeout:
			t.Fatalf("upperd logged no line matching %v", re)
		}
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.exit:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok && ee.Exited() {
			return ee.ExitCode()
		}
		t.Fatalf("upperd did not exit normally: %v", err)
	case <-time.After(testTimeout):
		t.Fatal("upperd did not exit")
	}
	return -1
}

// The lines where upperd says which addresses it bound.
var (
	listening    = regexp.MustCompile(`level=INFO msg="(tcp|udp) listening" addr=(127\.0\.0\.1:\d+)`)
	tcpListening = regexp.MustCompile(`level=INFO msg="tcp listening" addr=(127\.0\.0\.1:\d+)`)
	udpListening = regexp.MustCompile(`level=INFO msg="udp listening" addr=(127\.0\.0\.1:\d+)`)
)

// startServing runs upperd on ephemeral ports and returns their addresses,
// learnt from its log.
func startServing(t *testing.T, args ...string) (p *proc, tcpAddr, udpAddr string) {
	t.Helper()
	p = start(t, append([]string{"-tcp", "127.0.0.1:0", "-udp", "127.0.0.1:0"}, args...)...)
	tcpAddr = p.waitLine(t, tcpListening)[1]
	udpAddr = p.waitLine(t, udpListening)[1]
	return p, tcpAddr, udpAddr
}

func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{KeepAlive: -1, Timeout: testTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testTimeout))
	t.Cleanup(func() { c.Close() })
	return c
}

func tcpRoundTrip(t *testing.T, c net.Conn, msg, want string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("TCP reply %q, %v; want %q", got, err, want)
	}
}

// udpRoundTrip sends msg, again while no reply comes (loopback may drop a
// datagram), and wants want back.
func udpRoundTrip(t *testing.T, addr, msg, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := clients.DialUDP(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, _, err := c.RoundTrip(ctx, []byte(msg), 10, nil)
	if err != nil || string(d.Data) != want {
		t.Fatalf("UDP reply %q, %v; want %q", d.Data, err, want)
	}
}

func TestServesAndStopsOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p, tcpAddr, udpAddr := startServing(t, "-log-level", "debug", "-udp-max", "4")
			c := dialTCP(t, tcpAddr)
			tcpRoundTrip(t, c, "client33333", "CLIENT33333")
			udpRoundTrip(t, udpAddr, "client1111", "CLIE") // -udp-max 4
			p.waitLine(t, regexp.MustCompile(`level=DEBUG msg="tcp open"`))

			// An idle client is closed in order and does not hold up the exit.
			start := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("idle client read %d bytes, %v at shutdown; want EOF", n, err)
			}
			c.Close()
			if code := p.wait(t); code != 0 {
				t.Fatalf("exit status %d after %v, want 0", code, sig)
			}
			t.Logf("exited %v after the signal", time.Since(start))
			p.waitLine(t, regexp.MustCompile(`level=INFO msg="shutting down" signal=`))
			p.waitLine(t, regexp.MustCompile(`level=INFO msg=stopped`))
			if s := p.stderr(); strings.Contains(s, "panic") || strings.Contains(s, "level=WARN") || strings.Contains(s, "level=ERROR") {
				t.Fatalf("unexpected log output:\n%s", s)
			}
		})
	}
}

func TestOneProtocol(t *testing.T) {
	p := start(t, "-tcp", "", "-udp", "127.0.0.1:0")
	m := p.waitLine(t, listening)
	if m[1] != "udp" {
		t.Fatalf("with -tcp \"\", upperd logged %q", m[0])
	}
	udpRoundTrip(t, m[2], "udp only", "UDP ONLY")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if strings.Contains(p.stderr(), "tcp listening") {
		t.Fatalf("upperd served TCP with -tcp \"\":\n%s", p.stderr())
	}
}

// TestPortInUse checks that a port in use is one line and exit status 1,
// and that the other socket, bound first, is never served.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-tcp", ln.Addr().String(), "-udp", "127.0.0.1:0"}, "upperd: listen tcp " + ln.Addr().String() + ": bind: address already in use"},
		{[]string{"-tcp", "127.0.0.1:0", "-udp", pc.LocalAddr().String()}, "upperd: listen udp " + pc.LocalAddr().String() + ": bind: address already in use"},
	} {
		p := start(t, tc.args...)
		if code := p.wait(t); code != 1 {
			t.Fatalf("upperd %v: exit status %d, want 1", tc.args, code)
		}
		<-p.done
		if got := p.stderr(); got != tc.want {
			t.Fatalf("upperd %v printed\n%s\nwant the one line\n%s", tc.args, got, tc.want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-tcp", "", "-udp", ""},
		{"-read-size", "0"},
		{"-read-size", "-1"},
		{"-read-size", "many"},
		{"-udp-max", "0"},
		{"-udp-max", "65536"},
		{"-max-conns", "-1"},
		{"-idle-timeout", "-1s"},
		{"-idle-timeout", "soon"},
		{"-keepalive", "-1s"},
		{"-udp-workers", "-1"},
		{"-log-level", "loud"},
		{"-shutdown-timeout", "0"},
		{"-tcp", "8080"},
		{"-udp", "127.0.0.1:99999"},
		{"-no-such-flag"},
		{"extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			p := start(t, args...)
			if code := p.wait(t); code != 2 {
				t.Fatalf("exit status %d, want 2", code)
			}
			<-p.done
			got := p.stderr()
			if strings.Contains(got, "\n") || !strings.HasPrefix(got, "upperd: ") {
				t.Fatalf("printed\n%s\nwant one line starting \"upperd: \"", got)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	p := start(t, "-h")
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	<-p.done
	for _, flag := range []string{"-tcp", "-udp", "-read-size", "-udp-max", "-max-conns", "-idle-timeout", "-keepalive", "-udp-workers", "-log-level", "-shutdown-timeout"} {
		if !strings.Contains(p.stderr(), flag) {
			t.Fatalf("usage does not mention %s:\n%s", flag, p.stderr())
		}
	}
}

// TestShutdownTimeout checks the two ways a graceful shutdown is cut short,
// with a client that never reads its replies: -shutdown-timeout passing,
// and a second signal. Both close the connection and exit 0.
func TestShutdownTimeout(t *testing.T) {
	for _, tc := range []struct {
		name, timeout string
		second        bool
		warn          string
	}{
		{"timeout", "300ms", false, `level=WARN msg="shutdown cut short; remaining connections closed" err="context deadline exceeded"`},
		{"second signal", "1m", true, `level=WARN msg="closing at once" signal=terminated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Without a second signal the shutdown lasts at least a
			// second (the server lingers that long for a client that
			// neither reads nor closes), so a second signal sent later
			// than that may rightly find upperd gone: that is the test
			// being descheduled, and it tries again.
			for range 3 {
				if !shutdownCutShort(t, tc.timeout, tc.second, tc.warn) {
					return
				}
			}
			t.Fatal("the test was descheduled for too long three times in a row")
		})
	}
}

func shutdownCutShort(t *testing.T, timeout string, second bool, warn string) (stalled bool) {
	t.Helper()
	p, tcpAddr, _ := startServing(t, "-shutdown-timeout", timeout)
	c := dialTCP(t, tcpAddr)
	wrote := make(chan error, 1)
	go func() {
		// Never read: the server's replies to this fill the buffers.
		block := make([]byte, 256<<10)
		var err error
		for n := 0; n < 256<<20 && err == nil; n += len(block) {
			_, err = c.Write(block)
		}
		wrote <- err
	}()
	tcpRoundTrip(t, dialTCP(t, tcpAddr), "busy", "BUSY") // the server is up and serving
	first := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	var late bool
	if second {
		p.waitLine(t, regexp.MustCompile(`msg="shutting down"`))
		late = time.Since(first) > 500*time.Millisecond
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	<-p.done
	if !strings.Contains(p.stderr(), warn) {
		if late {
			t.Logf("second signal sent %v after the first", time.Since(first))
			return true
		}
		t.Fatalf("upperd did not log %s", warn)
	}
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("the non-reading client wrote 256 MiB to a stopped server")
		}
	case <-time.After(testTimeout):
		t.Fatal("the non-reading client's write did not end")
	}
	return false
}
