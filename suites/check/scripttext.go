package check

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scripts are read by people: a fuzzer's minimal counterexample is logged
// as the steps a person would type, and saved as JSON whose operations have
// names and whose bytes show as text or hex. This file owns both forms:
//
//   - String methods: TCPScript gives one line per connection
//     ("connection 0: write "ab\xe0"; pause 20ms; half-close; read to
//     EOF"), UDPScript one line per socket ("socket 0 (connected, one
//     round trip at a time): send "a" (1 byte)"), numbered from 0 as
//     failure text numbers them;
//   - JSON: a TCP step is {"op": "write", "text": "hello\\n"}, {"op":
//     "pause", "pause": "20ms"}; a datagram is {"text": "a"} or {"hex":
//     "e0 7a"}. Bytes are shown as "text" when more than half of them are
//     printable ASCII, with Go's escapes (\n, \t, \", \\, \xNN) for the
//     rest, and as "hex" (two digits a byte, space-separated) otherwise. A
//     long run of a short pattern is the pattern and "repeat_to", the
//     length it is repeated to: {"text": "ab", "repeat_to": 4096}. Pauses,
//     and a network's latency and delay, are durations: "20ms".
//
// The older form (numeric ops, base64 "data", datagrams as base64 strings,
// durations in nanoseconds) still reads, so that saved cases replay.

// shownBytes is how a payload is shown: as text or hex, and, for a long
// repetition of a short pattern, the pattern and the length it is repeated
// to. Exactly one of Text and Hex is set.
type shownBytes struct {
	Text     *string `json:"text,omitempty"`
	Hex      *string `json:"hex,omitempty"`
	RepeatTo int     `json:"repeat_to,omitempty"`
}

// Repetitions of a pattern of up to maxPeriod bytes are shown as the
// pattern, once the payload is longer than minRepeat.
const (
	maxPeriod = 16
	minRepeat = 32
)

// showBytes is b as shownBytes.
func showBytes(b []byte) shownBytes {
	var s shownBytes
	if p := period(b); p > 0 {
		s.RepeatTo = len(b)
		b = b[:p]
	}
	if textual(b) {
		t := escape(b)
		s.Text = &t
	} else {
		h := hexSpaced(b)
		s.Hex = &h
	}
	return s
}

// bytes returns the payload s shows.
func (s shownBytes) bytes() ([]byte, error) {
	var b []byte
	switch {
	case s.Text != nil && s.Hex != nil:
		return nil, fmt.Errorf(`both "text" and "hex"`)
	case s.Text != nil:
		u, err := strconv.Unquote(`"` + *s.Text + `"`)
		if err != nil {
			return nil, fmt.Errorf(`"text" %q: not text with Go escapes`, *s.Text)
		}
		b = []byte(u)
	case s.Hex != nil:
		h, err := hex.DecodeString(strings.Join(strings.Fields(*s.Hex), ""))
		if err != nil {
			return nil, fmt.Errorf(`"hex" %q: not hex bytes`, *s.Hex)
		}
		b = h
	default:
		return nil, fmt.Errorf(`neither "text" nor "hex"`)
	}
	if s.RepeatTo > 0 {
		if len(b) == 0 {
			return nil, fmt.Errorf(`"repeat_to" %d of no bytes`, s.RepeatTo)
		}
		b = bytes.Repeat(b, s.RepeatTo/len(b)+1)[:s.RepeatTo]
	}
	return b, nil
}

// String is the payload as a person reads it: "ab\xe0", hex e0 7a, or
// "ab" repeated to 4096 bytes.
func (s shownBytes) String() string {
	var v string
	if s.Text != nil {
		v = `"` + *s.Text + `"`
	} else if s.Hex != nil {
		v = "hex " + *s.Hex
	}
	if s.RepeatTo > 0 {
		v += " repeated to " + nBytes(s.RepeatTo)
	}
	return v
}

// period returns the length of the shortest pattern of at most maxPeriod
// bytes that b repeats (its last repetition possibly cut short), or 0 when
// b is not that long (minRepeat) or repeats no such pattern.
func period(b []byte) int {
	if len(b) <= minRepeat {
		return 0
	}
next:
	for p := 1; p <= maxPeriod; p++ {
		for i := p; i < len(b); i++ {
			if b[i] != b[i-p] {
				continue next
			}
		}
		return p
	}
	return 0
}

// printable reports whether c reads as itself or as a one-letter escape.
func printable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' }

// textual reports whether b is shown as text: empty, or more than half
// printable.
func textual(b []byte) bool {
	n := 0
	for _, c := range b {
		if printable(c) {
			n++
		}
	}
	return 2*n > len(b) || len(b) == 0
}

// escape is b as the inside of a Go string literal, every byte that is not
// printable ASCII written \xNN (never \u, which would stand for a UTF-8
// sequence rather than a byte).
func escape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch c {
		case '\n':
			s.WriteString(`\n`)
		case '\r':
			s.WriteString(`\r`)
		case '\t':
			s.WriteString(`\t`)
		case '"':
			s.WriteString(`\"`)
		case '\\':
			s.WriteString(`\\`)
		default:
			if printable(c) {
				s.WriteByte(c)
			} else {
				fmt.Fprintf(&s, `\x%02x`, c)
			}
		}
	}
	return s.String()
}

// hexSpaced is b in hex, two digits a byte, space-separated: "e0 7a".
func hexSpaced(b []byte) string {
	var s strings.Builder
	for i, c := range b {
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(&s, "%02x", c)
	}
	return s.String()
}

// MarshalJSON writes op by name: "write", "half-close".
func (op TCPOp) MarshalJSON() ([]byte, error) {
	if int(op) < 0 || int(op) >= len(opNames) {
		return nil, fmt.Errorf("check: no TCP op %d", int(op))
	}
	return json.Marshal(op.String())
}

// UnmarshalJSON reads an op by name, or by number as older cases have it.
func (op *TCPOp) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 0 || n >= len(opNames) {
			return fmt.Errorf("no TCP op %d", n)
		}
		*op = TCPOp(n)
		return nil
	}
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("TCP op %s: want a name such as %q", b, opNames[0])
	}
	for i, o := range opNames {
		if o == name {
			*op = TCPOp(i)
			return nil
		}
	}
	return fmt.Errorf("no TCP op %q (want one of %s)", name, strings.Join(opNames[:], ", "))
}

// MarshalJSON writes a step with its bytes as text or hex (see shownBytes)
// and its pause as a duration ("20ms").
func (s TCPStep) MarshalJSON() ([]byte, error) {
	// The fields not named here are written as they are: the outer
	// fields hide plain's of the same JSON names.
	type plain TCPStep
	out := struct {
		plain
		*shownBytes
		Data  *struct{} `json:"data,omitempty"` // always nil: the bytes are in shownBytes
		Pause string    `json:"pause,omitempty"`
	}{plain: plain(s)}
	if s.Op == Write {
		b := showBytes(s.Data)
		out.shownBytes = &b
	}
	if s.Pause != 0 {
		out.Pause = s.Pause.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a step as MarshalJSON writes it, or as older cases
// have it: bytes in base64 "data", the pause in nanoseconds.
func (s *TCPStep) UnmarshalJSON(b []byte) error {
	type plain TCPStep
	var in struct {
		plain
		shownBytes
		Data  []byte          `json:"data"`
		Pause json.RawMessage `json:"pause"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	st := TCPStep(in.plain)
	st.Data = in.Data
	if in.Text != nil || in.Hex != nil {
		d, err := in.shownBytes.bytes()
		if err != nil {
			return fmt.Errorf("TCP step: %v", err)
		}
		st.Data = d
	}
	if len(in.Pause) > 0 {
		p, err := unmarshalDuration(in.Pause)
		if err != nil {
			return fmt.Errorf("TCP step: pause: %v", err)
		}
		st.Pause = p
	}
	*s = st
	return nil
}

// unmarshalDuration reads a duration written as Go writes one ("20ms"), or
// as a number of nanoseconds.
func unmarshalDuration(b []byte) (time.Duration, error) {
	var ns int64
	if err := json.Unmarshal(b, &ns); err == nil {
		return time.Duration(ns), nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, fmt.Errorf("%s is not a duration", b)
	}
	return time.ParseDuration(s)
}

// MarshalJSON writes each datagram as text or hex (see shownBytes).
func (s UDPSocketScript) MarshalJSON() ([]byte, error) {
	type plain UDPSocketScript
	out := struct {
		plain
		Datagrams []shownBytes `json:"datagrams"`
	}{plain: plain(s), Datagrams: make([]shownBytes, len(s.Datagrams))}
	for i, d := range s.Datagrams {
		out.Datagrams[i] = showBytes(d)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a socket as MarshalJSON writes it, or as older cases
// have it: each datagram a base64 string.
func (s *UDPSocketScript) UnmarshalJSON(b []byte) error {
	type plain UDPSocketScript
	var in struct {
		plain
		Datagrams []json.RawMessage `json:"datagrams"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	sock := UDPSocketScript(in.plain)
	sock.Datagrams = nil
	for i, raw := range in.Datagrams {
		var d []byte
		if len(raw) > 0 && raw[0] == '{' {
			var sb shownBytes
			err := json.Unmarshal(raw, &sb)
			if err == nil {
				d, err = sb.bytes()
			}
			if err != nil {
				return fmt.Errorf("datagram %d: %v", i+1, err)
			}
		} else if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("datagram %d: %v", i+1, err)
		}
		if d == nil {
			d = []byte{}
		}
		sock.Datagrams = append(sock.Datagrams, d)
	}
	*s = sock
	return nil
}

// String is the step as a person would type it: write "ab\xe0"; write
// hex e0 7a in chunks of 1, 2 bytes 1ms apart; pause 20ms; read the
// replies so far; half-close; read to EOF; reset; close without reading.
func (s TCPStep) String() string {
	switch s.Op {
	case Write:
		w := "write " + showBytes(s.Data).String()
		if len(s.Chunks) > 0 {
			sizes := make([]string, len(s.Chunks))
			for i, c := range s.Chunks {
				sizes[i] = strconv.Itoa(c)
			}
			if len(sizes) == 1 {
				w += " in chunks of " + nBytes(s.Chunks[0])
			} else {
				w += " in chunks of " + strings.Join(sizes, ", ") + " bytes"
			}
			if s.Pause > 0 {
				w += " " + s.Pause.String() + " apart"
			}
		}
		return w
	case Pause:
		return "pause " + s.Pause.String()
	case Read:
		return "read the replies so far"
	case HalfClose:
		return "half-close; read to EOF"
	case Reset:
		return "reset"
	case Close:
		return "close without reading"
	}
	return s.Op.String()
}

// String is the connection's steps, "; " between them, up to the one that
// ends it; a connection that none ends reads every reply and closes.
func (cs TCPConnScript) String() string {
	var steps []string
	for _, s := range cs.Steps {
		steps = append(steps, s.String())
		if s.Op >= HalfClose {
			return strings.Join(steps, "; ")
		}
	}
	return strings.Join(append(steps, "read every reply; close"), "; ")
}

// String is the script as the steps a person would type, a line per
// connection, all run at once, numbered from 0 as failure text numbers
// them: "connection 0: write "a"; half-close; read to EOF", "connection 1
// (TCP_NODELAY): ...".
func (s TCPScript) String() string {
	lines := make([]string, len(s.Conns))
	for i, cs := range s.Conns {
		opt := ""
		if cs.NoDelay {
			opt = " (TCP_NODELAY)"
		}
		lines[i] = fmt.Sprintf("connection %d%s: %s", i, opt, cs)
	}
	return strings.Join(lines, "\n")
}

// String is the socket's datagrams as a person would send them: "socket
// (connected, one round trip at a time): send "a" (1 byte); send "" (0
// bytes)", without the socket's number, which UDPScript.String gives.
func (s UDPSocketScript) String() string {
	how := "unconnected"
	if s.Connected {
		how = "connected"
	}
	switch {
	case !s.Burst:
		how += ", one round trip at a time"
	case s.Window > 0 && s.Window < len(s.Datagrams):
		how += fmt.Sprintf(", in bursts of %d", s.Window)
	default:
		how += ", all at once"
	}
	sends := make([]string, len(s.Datagrams))
	for i, d := range s.Datagrams {
		sends[i] = "send " + showBytes(d).String()
		if period(d) == 0 {
			sends[i] += " (" + nBytes(len(d)) + ")"
		}
	}
	return "(" + how + "): " + strings.Join(sends, "; ")
}

// String is the script as the datagrams a person would send, a line per
// socket, all at once, numbered from 0 as failure text numbers them:
// "socket 0 (connected, all at once): send "a" (1 byte); send hex e0 7a
// (2 bytes)".
func (s UDPScript) String() string {
	lines := make([]string, len(s.Sockets))
	for i, sock := range s.Sockets {
		lines[i] = fmt.Sprintf("socket %d %s", i, sock)
	}
	return strings.Join(lines, "\n")
}

// MarshalJSON writes the direction's latency and delay as durations
// ("5ms").
func (f StreamFaults) MarshalJSON() ([]byte, error) {
	type plain StreamFaults
	out := struct {
		plain
		Latency string `json:"latency,omitempty"`
		Delay   string `json:"delay,omitempty"`
	}{plain: plain(f)}
	if f.Latency != 0 {
		out.Latency = f.Latency.String()
	}
	if f.Delay != 0 {
		out.Delay = f.Delay.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the direction as MarshalJSON writes it, or with
// durations in nanoseconds as older cases have them.
func (f *StreamFaults) UnmarshalJSON(b []byte) error {
	type plain StreamFaults
	var in struct {
		plain
		Latency json.RawMessage `json:"latency"`
		Delay   json.RawMessage `json:"delay"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	sf := StreamFaults(in.plain)
	for _, d := range []struct {
		name string
		raw  json.RawMessage
		to   *time.Duration
	}{{"latency", in.Latency, &sf.Latency}, {"delay", in.Delay, &sf.Delay}} {
		if len(d.raw) == 0 {
			continue
		}
		v, err := unmarshalDuration(d.raw)
		if err != nil {
			return fmt.Errorf("network faults: %s: %v", d.name, err)
		}
		*d.to = v
	}
	*f = sf
	return nil
}
