package mutants

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcheck/upcheck/servers"
)

func TestLineBuffered(t *testing.T) {
	tcpAddr, _ := start(t, LineBuffered())
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("abc"))
	expectNothing(t, c, "reply to a request without newline")
	// The newline releases the whole line.
	writeTCP(t, c, []byte("def\n"))
	if got := readN(t, c, 7); string(got) != "ABCDEF\n" {
		t.Fatalf("got %q, want %q", got, "ABCDEF\n")
	}
	// The end of the stream releases the rest, then an orderly close.
	c = dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("xyz"))
	c.CloseWrite()
	if got, err := readToEnd(t, c); string(got) != "XYZ" || err != nil {
		t.Fatalf("after half-close: %q, %v; want %q and EOF", got, err, "XYZ")
	}
}

func TestFillBuffer(t *testing.T) {
	tcpAddr, _ := start(t, FillBuffer())
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("client33333"))
	expectNothing(t, c, "reply to an 11-byte request")
	rest := strings.Repeat("q", 1024-11)
	writeTCP(t, c, []byte(rest))
	if got := readN(t, c, 1024); !bytes.Equal(got, upper("client33333"+rest)) {
		t.Fatalf("1024 bytes in all: got %q...", got[:20])
	}
	c = dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("abc"))
	c.CloseWrite()
	if got, err := readToEnd(t, c); string(got) != "ABC" || err != nil {
		t.Fatalf("after half-close: %q, %v; want %q and EOF", got, err, "ABC")
	}
}

func TestBufferUntilEOF(t *testing.T) {
	tcpAddr, _ := start(t, BufferUntilEOF())
	c := dialTCP(t, tcpAddr)
	// Nothing comes back while the client waits, whatever it sends.
	writeTCP(t, c, []byte("abc\n"))
	expectNothing(t, c, "reply to a line")
	writeTCP(t, c, []byte(strings.Repeat("q", 4096)))
	expectNothing(t, c, "reply to 4100 bytes")
	// The end of the stream releases it all in one piece, then an
	// orderly close.
	c.CloseWrite()
	if got, err := readToEnd(t, c); !bytes.Equal(got, upper("abc\n"+strings.Repeat("q", 4096))) || err != nil {
		t.Fatalf("after half-close: %d bytes, %v; want the 4100 bytes uppercased and EOF", len(got), err)
	}
}

// TestBytesMutants checks that each TCP-BYTES mutant answers ASCII
// correctly and mangles exactly what its bug mangles.
func TestBytesMutants(t *testing.T) {
	for _, tc := range []struct {
		m       *Mutant
		in, out string
	}{
		// é becomes É; the lone 0xff becomes U+FFFD (three bytes).
		{UnicodeUpper(), "straße é \xff", "STRAßE É \xef\xbf\xbd"},
		// é is c3 a9, both kept; ÿ (0xff) becomes 'x', µ (0xb5) 0x9c, the
		// emoji's f0 becomes d0.
		{RuneUpper(), "é\xff\xb5\xf0\x9f\x98\x80", "é" + "x\x9c\xd0\x9f\x98\x80"},
		{OffByOneZ(), "jazz y", "JAzz Y"},
	} {
		t.Run(tc.m.Name, func(t *testing.T) {
			tcpAddr, _ := start(t, tc.m)
			c := dialTCP(t, tcpAddr)
			if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
				t.Fatalf("ASCII: got %q", got)
			}
			writeTCP(t, c, []byte(tc.in))
			c.CloseWrite()
			got, err := readToEnd(t, c)
			if err != nil {
				t.Fatalf("stream ended with %v", err)
			}
			if string(got) != tc.out {
				t.Fatalf("%q came back as %q, want %q", tc.in, got, tc.out)
			}
			if bytes.Equal(got, upper(tc.in)) {
				t.Fatal("the mutant answered correctly")
			}
		})
	}
}

func TestWholeBuffer(t *testing.T) {
	tcpAddr, _ := start(t, WholeBuffer())
	c := dialTCP(t, tcpAddr)
	// A client reading exactly its length sees a correct reply...
	if got := roundTrip(t, c, []byte("abc")); string(got) != "ABC" {
		t.Fatalf("got %q", got)
	}
	// ...followed by the rest of the buffer.
	if got := readN(t, c, 1021); !bytes.Equal(got, make([]byte, 1021)) {
		t.Fatalf("rest of the first reply: got %q, want 1021 zero bytes", got)
	}
	writeTCP(t, c, []byte("d"))
	c.CloseWrite()
	got, err := readToEnd(t, c)
	if err != nil || len(got) != 1024 || string(got[:3]) != "DBC" {
		t.Fatalf("reply to %q: %d bytes starting %q, %v; want 1024 starting %q (leftovers)", "d", len(got), got[:min(3, len(got))], err, "DBC")
	}
}

func TestDropFullRead(t *testing.T) {
	tcpAddr, _ := start(t, DropFullRead())
	c := dialTCP(t, tcpAddr)
	if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
		t.Fatalf("short request: got %q", got)
	}
	writeTCP(t, c, bytes.Repeat([]byte("a"), 1024))
	writeTCP(t, c, []byte("b"))
	// The next byte to come back is the reply to "b": the 1024 bytes are gone.
	if got := readN(t, c, 1); string(got) != "B" {
		t.Fatalf("after a 1024-byte write then %q: got %q first, want %q", "b", got, "B")
	}
}

func TestNoCloseOnEOF(t *testing.T) {
	tcpAddr, _ := start(t, NoCloseOnEOF())
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("abc"))
	c.CloseWrite()
	if got := readN(t, c, 3); string(got) != "ABC" {
		t.Fatalf("got %q", got)
	}
	expectNothing(t, c, "after the reply to a half-closed stream")
	// Other connections are served normally.
	if got := roundTrip(t, dialTCP(t, tcpAddr), []byte("x")); string(got) != "X" {
		t.Fatalf("second connection: got %q", got)
	}
}

func TestResetOnEOF(t *testing.T) {
	tcpAddr, _ := start(t, ResetOnEOF())
	c := dialTCP(t, tcpAddr)
	if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
		t.Fatalf("got %q", got)
	}
	c.CloseWrite()
	if got, err := readToEnd(t, c); !isReset(err) {
		t.Fatalf("after half-close: %q, %v; want a reset", got, err)
	}
}

func TestTickerFlush(t *testing.T) {
	tcpAddr, _ := start(t, TickerFlush())
	c := dialTCP(t, tcpAddr)
	// A client that waits gets its reply, within a flush period.
	if got := roundTrip(t, c, []byte("client33333")); string(got) != "CLIENT33333" {
		t.Fatalf("got %q", got)
	}
	// A client that writes and half-closes at once loses the reply. A flush
	// could fall between the server's two reads, microseconds apart; try
	// again then.
	for try := range 3 {
		c := dialTCP(t, tcpAddr)
		writeTCP(t, c, []byte("hello"))
		c.CloseWrite()
		got, err := readToEnd(t, c)
		if err != nil {
			t.Fatalf("stream ended with %v; want EOF", err)
		}
		if len(got) < 5 {
			return // the tail was lost, and the close was orderly
		}
		t.Logf("try %d: the flush came between data and EOF", try)
	}
	t.Fatal("every reply arrived whole before EOF")
}

func TestDieOnReset(t *testing.T) {
	m := DieOnReset()
	tcpAddr, _ := start(t, m)
	other := dialTCP(t, tcpAddr)
	if got := roundTrip(t, other, []byte("a")); string(got) != "A" {
		t.Fatalf("got %q", got)
	}
	// An orderly end is not an error.
	c := dialTCP(t, tcpAddr)
	writeTCP(t, c, []byte("bye"))
	c.CloseWrite()
	if got, err := readToEnd(t, c); string(got) != "BYE" || err != nil {
		t.Fatalf("half-close: %q, %v", got, err)
	}
	if got := roundTrip(t, other, []byte("b")); string(got) != "B" {
		t.Fatalf("after an orderly close: got %q", got)
	}
	// A reset is, and ends everything.
	c = dialTCP(t, tcpAddr)
	roundTrip(t, c, []byte("c"))
	reset(c)
	err := waitDone(t, m)
	if !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("died of %v; want the reset", err)
	}
	if _, err := readToEnd(t, other); err != nil && !isReset(err) {
		t.Fatalf("other connection: %v; want it closed", err)
	}
	if c, err := net.DialTimeout("tcp", tcpAddr, wait); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted after the server died")
	}
}

func TestCrashOnWriteError(t *testing.T) {
	m := CrashOnWriteError()
	tcpAddr, _ := start(t, m)
	// A reset while the server waits to read is survived.
	c := dialTCP(t, tcpAddr)
	roundTrip(t, c, []byte("a"))
	reset(c)
	other := dialTCP(t, tcpAddr)
	if got := roundTrip(t, other, []byte("b")); string(got) != "B" {
		t.Fatalf("after a reset: got %q", got)
	}

	// A client that keeps writing without reading, with a small receive
	// buffer, soon has the server blocked writing its reply. When the
	// client's write times out, both directions are full: the server is in
	// Write, and the client's close (a reset, since it leaves data unread)
	// makes that Write fail.
	d := net.Dialer{Timeout: wait, KeepAlive: -1, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	nc, err := d.Dial("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	deadline := time.Now().Add(wait)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the server kept reading for 5 s without blocking on its writes")
		}
		nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := nc.Write(chunk); errors.Is(err, os.ErrDeadlineExceeded) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	err = waitDone(t, m)
	if !strings.Contains(err.Error(), "panic") {
		t.Fatalf("died of %v; want a panic", err)
	}
}

func TestSerial(t *testing.T) {
	tcpAddr, _ := start(t, Serial())
	first := dialTCP(t, tcpAddr)
	if got := roundTrip(t, first, []byte("a")); string(got) != "A" {
		t.Fatalf("got %q", got)
	}
	second := dialTCP(t, tcpAddr)
	writeTCP(t, second, []byte("b"))
	expectNothing(t, second, "second client while the first is idle")
	first.Close()
	if got := readN(t, second, 1); string(got) != "B" {
		t.Fatalf("after the first closed: got %q", got)
	}
}

func TestLockedRead(t *testing.T) {
	tcpAddr, _ := start(t, LockedRead())
	idle := dialTCP(t, tcpAddr)
	if got := roundTrip(t, idle, []byte("a")); string(got) != "A" {
		t.Fatalf("got %q", got)
	}
	// The idle client's handler holds the lock in Read, or takes it within
	// a millisecond of waiting (sync.Mutex hands it over to a waiter that
	// starves): from then on the busy client gets nothing.
	busy := dialTCP(t, tcpAddr)
	blocked := false
	for i := 0; i < 1000 && !blocked; i++ {
		writeTCP(t, busy, []byte("b"))
		busy.SetReadDeadline(time.Now().Add(quiet))
		b := make([]byte, 1)
		n, err := busy.Read(b)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			blocked = true
		case err != nil || n != 1 || b[0] != 'B':
			t.Fatalf("exchange %d: %q, %v", i, b[:n], err)
		}
	}
	if !blocked {
		t.Fatal("1000 exchanges went through while another client was idle")
	}
	idle.Close()
	if got := readN(t, busy, 1); string(got) != "B" {
		t.Fatalf("after the idle client closed: got %q", got)
	}
}

func TestRouteByIP(t *testing.T) {
	tcpAddr, _ := start(t, RouteByIP())
	a := dialTCP(t, tcpAddr)
	if got := roundTrip(t, a, []byte("alone")); string(got) != "ALONE" {
		t.Fatalf("one client: got %q", got)
	}
	b := dialTCP(t, tcpAddr)
	if got := roundTrip(t, b, []byte("b")); string(got) != "B" {
		t.Fatalf("last client: got %q", got)
	}
	writeTCP(t, a, []byte("from-a"))
	if got := readN(t, b, 6); string(got) != "FROM-A" {
		t.Fatalf("b received %q; want a's reply %q", got, "FROM-A")
	}
	expectNothing(t, a, "a's own reply")
}

func TestConnLimitLeak(t *testing.T) {
	tcpAddr, _ := start(t, ConnLimitLeak())
	for i := range connLimit {
		c := dialTCP(t, tcpAddr)
		if got := roundTrip(t, c, []byte("x")); string(got) != "X" {
			t.Fatalf("connection %d: got %q", i, got)
		}
		c.Close()
	}
	c := dialTCP(t, tcpAddr)
	c.Write([]byte("x")) // may fail if the close already came
	if got, err := readToEnd(t, c); len(got) != 0 || (err != nil && !isReset(err)) {
		t.Fatalf("connection %d: %q, %v; want closed unanswered", connLimit+1, got, err)
	}
}

func TestCrashOnTelnetSB(t *testing.T) {
	// Either byte alone, or a complete subnegotiation, is harmless; IAC SB
	// without its IAC SE in the same read, in one read or split across
	// two, kills the server.
	for _, kill := range [][]string{
		{"x\xff\xfay"},
		{"x\xff", "\xfay"},
	} {
		t.Run(fmt.Sprintf("%q", kill), func(t *testing.T) {
			m := CrashOnTelnetSB()
			tcpAddr, _ := start(t, m)
			c := dialTCP(t, tcpAddr)
			harmless := []string{"a\xff", "b", "\xfac", "x\xff\xfa\x18\x01\xff\xf0y"}
			for _, msg := range append(harmless, kill[:len(kill)-1]...) {
				if got, want := roundTrip(t, c, []byte(msg)), servers.AppendUpperASCII(nil, []byte(msg)); !bytes.Equal(got, want) {
					t.Fatalf("%q: got %q, want %q", msg, got, want)
				}
			}
			writeTCP(t, c, []byte(kill[len(kill)-1]))
			err := waitDone(t, m)
			if !strings.Contains(err.Error(), "panic") {
				t.Fatalf("died of %v; want a panic", err)
			}
		})
	}
}
