package fuzz

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/fuzz/fuzzspec"
	"github.com/upcheck/upcheck/suites/check"
)

// TestOldCasesReplay loads cases saved before ops had names and bytes were
// shown as text (testdata/cases/old-*.json: numeric ops, base64 bytes,
// pauses in nanoseconds), shows them as a person reads them, and replays
// them against the target: the reference passes them.
func TestOldCasesReplay(t *testing.T) {
	for _, tc := range []struct{ file, text string }{
		{"old-tcp.json", `connection 0: write hex e0 7a; pause 20ms; write "ab" in chunks of 1 byte 1ms apart; half-close; read to EOF
connection 1 (TCP_NODELAY): write "x"; read the replies so far; reset
network: up: 1-byte segments; down: as is`},
		{"old-udp.json", `socket 0 (connected, one round trip at a time): send hex e0 7a (2 bytes); send "" (0 bytes)
socket 1 (unconnected, all at once): send "hi" (2 bytes)`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := LoadCase(filepath.Join("testdata", "cases", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tc.text {
				t.Errorf("String():\n%s\nwant:\n%s", got, tc.text)
			}
			e := env(t)
			ctx, cancel := context.WithTimeout(context.Background(), e.T(30*time.Second))
			defer cancel()
			if err := c.Run(ctx, e); err != nil {
				t.Errorf("replaying %s against the target: %v", tc.file, err)
			}
		})
	}
}

// TestCaseSavesReadably saves a case and requires the file to name its
// ops and show its bytes, and to load back as the same case.
func TestCaseSavesReadably(t *testing.T) {
	t.Setenv(fuzzspec.FailuresEnv, t.TempDir())
	c := &Case{Property: "TCPScripts", Failure: "TCP-BYTES [fuzz]: expected ...",
		TCP: &check.TCPScript{Case: "fuzz", Conns: []check.TCPConnScript{{Steps: []check.TCPStep{
			{Op: check.Write, Data: []byte{0xe0, 0x7a}},
			{Op: check.Pause, Pause: 5 * time.Millisecond},
			{Op: check.Write, Data: []byte("hello\n")},
			{Op: check.HalfClose},
		}}}},
		Net: &check.NetFaults{Down: check.StreamFaults{Segment: 1}},
	}
	path, err := c.Save("readable")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"op": "write"`, `"hex": "e0 7a"`, `"op": "pause"`, `"pause": "5ms"`, `"text": "hello\\n"`, `"op": "half-close"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("saved case lacks %s:\n%s", want, b)
		}
	}
	back, err := LoadCase(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("loaded back as %s, want %s", back, c)
	}
	if got, want := fmt.Sprintf("%#v", c), `(1 TCP connection, a faulty network)
connection 0: write hex e0 7a; pause 5ms; write "hello\n"; half-close; read to EOF
network: up: as is; down: 1-byte segments`; got != want {
		t.Errorf("%%#v of a case (as rapid logs it):\n%s\nwant:\n%s", got, want)
	}
}
