package check

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestScriptString pins the text a minimal case is logged as: the steps a
// person would type.
func TestScriptString(t *testing.T) {
	tcp := TCPScript{Conns: []TCPConnScript{
		{Steps: []TCPStep{
			{Op: Write, Data: []byte("ab\xe0")},
			{Op: Pause, Pause: 20 * time.Millisecond},
			{Op: Write, Data: []byte("z")},
			{Op: HalfClose},
		}},
		{NoDelay: true, Steps: []TCPStep{
			{Op: Write, Data: []byte{0xe0, 0x7a}, Chunks: []int{1, 2}, Pause: time.Millisecond},
			{Op: Read},
			{Op: Write, Data: bytes.Repeat([]byte("ab"), 2048)},
			{Op: Reset},
		}},
		{Steps: []TCPStep{{Op: Write, Data: []byte("say \"hi\"\n\\")}, {Op: Close}}},
		{Steps: []TCPStep{{Op: Write}}},
	}}
	want := `connection 0: write "ab\xe0"; pause 20ms; write "z"; half-close; read to EOF
connection 1 (TCP_NODELAY): write hex e0 7a in chunks of 1, 2 bytes 1ms apart; read the replies so far; write "ab" repeated to 4096 bytes; reset
connection 2: write "say \"hi\"\n\\"; close without reading
connection 3: write ""; read every reply; close`
	if got := tcp.String(); got != want {
		t.Errorf("TCPScript.String():\n%s\nwant:\n%s", got, want)
	}

	udp := UDPScript{Sockets: []UDPSocketScript{
		{Connected: true, Datagrams: [][]byte{[]byte("abc"), {}}},
		{Burst: true, Datagrams: [][]byte{{0xe0, 0x7a}, []byte("a")}},
		{Burst: true, Window: 1, Datagrams: [][]byte{bytes.Repeat([]byte{0xff}, 65508), []byte("x")}},
	}}
	want = `socket 0 (connected, one round trip at a time): send "abc" (3 bytes); send "" (0 bytes)
socket 1 (unconnected, all at once): send hex e0 7a (2 bytes); send "a" (1 byte)
socket 2 (unconnected, in bursts of 1): send hex ff repeated to 65508 bytes; send "x" (1 byte)`
	if got := udp.String(); got != want {
		t.Errorf("UDPScript.String():\n%s\nwant:\n%s", got, want)
	}
}

// TestScriptJSON pins the saved form of scripts (ops by name, bytes as
// text or hex) and requires that a script survives the round trip.
func TestScriptJSON(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tcp := TCPScript{Case: "fuzz", Conns: []TCPConnScript{
		{NoDelay: true, Steps: []TCPStep{
			{Op: Write, Data: []byte("hello\n")},
			{Op: Write, Data: []byte{0xe0, 0x7a}, Chunks: []int{1}, Pause: 2 * time.Millisecond},
			{Op: Pause, Pause: 20 * time.Millisecond},
			{Op: Read},
			{Op: Write, Data: bytes.Repeat([]byte("xyz"), 100)[:299]},
			{Op: Write, Data: all},
			{Op: Write, Data: []byte{}},
			{Op: HalfClose},
		}},
		{Steps: []TCPStep{{Op: Reset}}},
		{Steps: []TCPStep{{Op: Close}}},
	}}
	b, err := json.Marshal(tcp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"op":"write","text":"hello\\n"}`,
		`{"op":"write","chunks":[1],"hex":"e0 7a","pause":"2ms"}`,
		`{"op":"pause","pause":"20ms"}`,
		`{"op":"read"}`,
		`{"op":"write","text":"xyz","repeat_to":299}`,
		`{"op":"write","hex":"00 01 02`,
		`{"op":"write","text":""}`,
		`{"op":"half-close"}`,
		`{"op":"reset"}`,
		`{"op":"close"}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the JSON of a TCP script lacks %s:\n%s", want, b)
		}
	}
	var back TCPScript
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("reading back %s: %v", b, err)
	}
	if !reflect.DeepEqual(back, tcp) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, tcp)
	}

	udp := UDPScript{Case: "fuzz", Sockets: []UDPSocketScript{
		{Connected: true, Burst: true, Window: 2, Datagrams: [][]byte{[]byte("a\tb"), {}, {0xe0, 0x7a}}},
		{Datagrams: [][]byte{bytes.Repeat([]byte{0xc3, 'a'}, 100)}},
	}}
	b, err = json.Marshal(udp)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"datagrams":[{"text":"a\\tb"},{"text":""},{"hex":"e0 7a"}]`; !strings.Contains(string(b), want) {
		t.Errorf("the JSON of a UDP script lacks %s:\n%s", want, b)
	}
	if want := `"datagrams":[{"hex":"c3 61","repeat_to":200}]`; !strings.Contains(string(b), want) {
		t.Errorf("the JSON of a UDP script lacks %s:\n%s", want, b)
	}
	var backUDP UDPScript
	if err := json.Unmarshal(b, &backUDP); err != nil {
		t.Fatalf("reading back %s: %v", b, err)
	}
	if !reflect.DeepEqual(backUDP, udp) {
		t.Errorf("round trip:\n got %+v\nwant %+v", backUDP, udp)
	}
}

// TestScriptJSONOldForm reads scripts as cases saved before ops had names:
// numeric ops, base64 bytes, pauses in nanoseconds.
func TestScriptJSONOldForm(t *testing.T) {
	var tcp TCPScript
	old := `{"case":"fuzz","conns":[{"steps":[{"op":0,"data":"4Ho="},{"op":1,"pause":20000000},{"op":0,"data":"YQ==","chunks":[1],"pause":1000000},{"op":3}]}]}`
	if err := json.Unmarshal([]byte(old), &tcp); err != nil {
		t.Fatal(err)
	}
	want := TCPScript{Case: "fuzz", Conns: []TCPConnScript{{Steps: []TCPStep{
		{Op: Write, Data: []byte{0xe0, 0x7a}},
		{Op: Pause, Pause: 20 * time.Millisecond},
		{Op: Write, Data: []byte("a"), Chunks: []int{1}, Pause: time.Millisecond},
		{Op: HalfClose},
	}}}}
	if !reflect.DeepEqual(tcp, want) {
		t.Errorf("old TCP script read as %+v, want %+v", tcp, want)
	}
	var udp UDPScript
	if err := json.Unmarshal([]byte(`{"sockets":[{"connected":true,"datagrams":["4Ho=",""],"burst":true}]}`), &udp); err != nil {
		t.Fatal(err)
	}
	wantUDP := UDPScript{Sockets: []UDPSocketScript{{Connected: true, Burst: true, Datagrams: [][]byte{{0xe0, 0x7a}, {}}}}}
	if !reflect.DeepEqual(udp, wantUDP) {
		t.Errorf("old UDP script read as %+v, want %+v", udp, wantUDP)
	}
}

// TestScriptJSONErrors: a hand-edited script that does not read says
// where.
func TestScriptJSONErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"conns":[{"steps":[{"op":"jump"}]}]}`, `no TCP op "jump"`},
		{`{"conns":[{"steps":[{"op":9}]}]}`, `no TCP op 9`},
		{`{"conns":[{"steps":[{"op":"write","text":"\\q"}]}]}`, `not text with Go escapes`},
		{`{"conns":[{"steps":[{"op":"write","hex":"e0 7"}]}]}`, `not hex bytes`},
		{`{"conns":[{"steps":[{"op":"pause","pause":"soon"}]}]}`, `pause`},
		{`{"sockets":[{"datagrams":[{"text":"a","hex":"61"}]}]}`, `datagram 1: both "text" and "hex"`},
		{`{"sockets":[{"datagrams":[{"hex":"","repeat_to":3}]}]}`, `"repeat_to" 3 of no bytes`},
	} {
		var err error
		if strings.Contains(tc.in, "conns") {
			var s TCPScript
			err = json.Unmarshal([]byte(tc.in), &s)
		} else {
			var s UDPScript
			err = json.Unmarshal([]byte(tc.in), &s)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("reading %s: error %v, want one saying %q", tc.in, err, tc.want)
		}
	}
}

// TestNetFaultsJSON: a network's durations save as durations, and read
// back, as do the nanoseconds of older cases.
func TestNetFaultsJSON(t *testing.T) {
	f := NetFaults{Seed: 7, Up: StreamFaults{Segment: 1, Delay: 100 * time.Microsecond}, Down: StreamFaults{Latency: 3 * time.Millisecond, Reset: true, ResetAt: 10}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"seed":7,"up":{"segment":1,"delay":"100µs"},"down":{"reset":true,"reset_at":10,"latency":"3ms"}}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back NetFaults
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Errorf("read back as %+v (%v), want %+v", back, err, f)
	}
	var old NetFaults
	if err := json.Unmarshal([]byte(`{"up":{"segment":1,"delay":100000},"down":{"latency":3000000}}`), &old); err != nil {
		t.Fatal(err)
	}
	if want := (NetFaults{Up: StreamFaults{Segment: 1, Delay: 100 * time.Microsecond}, Down: StreamFaults{Latency: 3 * time.Millisecond}}); old != want {
		t.Errorf("old form read as %+v, want %+v", old, want)
	}
	if b, _ := json.Marshal(NetFaults{Up: StreamFaults{Segment: 1}}); string(b) != `{"up":{"segment":1}}` {
		t.Errorf("a direction without faults is left out: got %s", b)
	}
}
