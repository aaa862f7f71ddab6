package target

import (
	"context"
	"errors"
	"flag"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upcheck/upcheck/suites/check"
)

var allEnv = append(slices.Clone(TargetEnv), RunEnv...)

// setEnv sets the upcheck variables to env, clearing the others.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range allEnv {
		t.Setenv(k, env[k])
	}
}

func TestFromEnvDefaults(t *testing.T) {
	setEnv(t, nil)
	s, err := FromEnv()
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	want := Settings{UDPMax: 8192, TimeScale: 1}
	if s != want {
		t.Errorf("FromEnv() = %+v, want %+v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got := s.Describe(); got != "reference servers (in process)" {
		t.Errorf("Describe() = %q", got)
	}
}

func TestFromEnvReadsEverySetting(t *testing.T) {
	setEnv(t, map[string]string{
		EnvTCP: "[::1]:9000", EnvUDP: " [::1]:9001 ", EnvUDPMax: "1024",
		EnvTimeScale: "2.5", EnvHost: " ::1 ", EnvReport: "reports/x",
	})
	s, err := FromEnv()
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	want := Settings{TCP: "[::1]:9000", UDP: "[::1]:9001", UDPMax: 1024, TimeScale: 2.5, Host: "::1", Report: "reports/x"}
	if s != want {
		t.Errorf("FromEnv() = %+v, want %+v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got, want := s.Describe(), "tcp [::1]:9000, udp [::1]:9001"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

// TestBadInput checks that every bad setting gives one line that names it,
// from FromEnv or from Validate.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		setting string
		want    string
	}{
		{map[string]string{EnvTCP: "localhost"}, EnvTCP,
			`UPCHECK_TCP: "localhost" is not host:port`},
		{map[string]string{EnvTCP: "127.0.0.1:99999"}, EnvTCP,
			`UPCHECK_TCP: port 99999 in "127.0.0.1:99999" is out of range 1..65535`},
		{map[string]string{EnvTCP: "127.0.0.1:0"}, EnvTCP,
			`UPCHECK_TCP: port 0 in "127.0.0.1:0" is out of range 1..65535`},
		{map[string]string{EnvTCP: "127.0.0.1:9000:1"}, EnvTCP,
			`UPCHECK_TCP: "127.0.0.1:9000:1" is not host:port`},
		{map[string]string{EnvUDP: "127.0.0.1:http"}, EnvUDP,
			`UPCHECK_UDP: port "http" in "127.0.0.1:http" is not a number`},
		{map[string]string{EnvUDP: ":9000"}, EnvUDP,
			`UPCHECK_UDP: ":9000" has no host (want host:port, such as 127.0.0.1:9000)`},
		{map[string]string{EnvTimeScale: "abc"}, EnvTimeScale,
			`UPCHECK_TIME_SCALE: "abc" is not a number`},
		{map[string]string{EnvTimeScale: "0"}, EnvTimeScale,
			`UPCHECK_TIME_SCALE: 0 must be greater than 0`},
		{map[string]string{EnvTimeScale: "-2"}, EnvTimeScale,
			`UPCHECK_TIME_SCALE: -2 must be greater than 0`},
		{map[string]string{EnvTimeScale: "NaN"}, EnvTimeScale,
			`UPCHECK_TIME_SCALE: NaN is not a finite number`},
		{map[string]string{EnvTimeScale: "1e999"}, EnvTimeScale,
			`UPCHECK_TIME_SCALE: +Inf is not a finite number`},
		{map[string]string{EnvUDPMax: "70000"}, EnvUDPMax,
			`UPCHECK_UDP_MAX: 70000 is out of range 1..65507`},
		{map[string]string{EnvUDPMax: "0"}, EnvUDPMax,
			`UPCHECK_UDP_MAX: 0 is out of range 1..65507`},
		{map[string]string{EnvUDPMax: "abc"}, EnvUDPMax,
			`UPCHECK_UDP_MAX: "abc" is not an integer`},
		{map[string]string{EnvServerCmd: "python3 server.py"}, EnvServerCmd,
			`UPCHECK_SERVER_CMD: "python3 server.py" has neither {tcp} nor {udp}: the harness cannot tell the server which ports to serve`},
		{map[string]string{EnvServerCmd: "./server --host {host}"}, EnvServerCmd,
			`UPCHECK_SERVER_CMD: "./server --host {host}" has neither {tcp} nor {udp}: the harness cannot tell the server which ports to serve`},
		{map[string]string{EnvServerCmd: "./server {tcp}", EnvTCP: "127.0.0.1:9000"}, EnvServerCmd,
			`UPCHECK_SERVER_CMD: cannot be combined with UPCHECK_TCP: the command's servers get their ports from {tcp} and {udp}`},
		{map[string]string{EnvServerCmd: "./server {udp}", EnvUDP: "127.0.0.1:9000"}, EnvServerCmd,
			`UPCHECK_SERVER_CMD: cannot be combined with UPCHECK_UDP: the command's servers get their ports from {tcp} and {udp}`},
		{map[string]string{EnvHost: "localhost"}, EnvHost,
			`UPCHECK_HOST: "localhost" is not an IP address (want a loopback address: 127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "[::1]:9000"}, EnvHost,
			`UPCHECK_HOST: "[::1]:9000" is host:port: give the address alone (127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "127.0.0.1:9000"}, EnvHost,
			`UPCHECK_HOST: "127.0.0.1:9000" is host:port: give the address alone (127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "192.168.1.10"}, EnvHost,
			`UPCHECK_HOST: 192.168.1.10 is not a loopback address (want 127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "::"}, EnvHost,
			`UPCHECK_HOST: :: is not a loopback address (want 127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "::ffff:127.0.0.1"}, EnvHost,
			`UPCHECK_HOST: ::ffff:127.0.0.1 is not a loopback address (want 127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "::1%lo"}, EnvHost,
			`UPCHECK_HOST: ::1%lo is not a loopback address (want 127.0.0.1, another of 127.0.0.0/8, or ::1)`},
		{map[string]string{EnvHost: "::1", EnvTCP: "127.0.0.1:9000"}, EnvHost,
			`UPCHECK_HOST: ::1, but UPCHECK_TCP is 127.0.0.1:9000: the harness dials the address given (leave UPCHECK_HOST out, or make them agree)`},
		{map[string]string{EnvHost: "127.0.0.1", EnvTCP: "127.0.0.1:9000", EnvUDP: "[::1]:9001"}, EnvHost,
			`UPCHECK_HOST: 127.0.0.1, but UPCHECK_UDP is [::1]:9001: the harness dials the address given (leave UPCHECK_HOST out, or make them agree)`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			setEnv(t, tc.env)
			s, err := FromEnv()
			parsed := err == nil
			if parsed {
				err = s.Validate()
			}
			if err == nil {
				t.Fatalf("no error for %v", tc.env)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
			var herr *HarnessError
			if !errors.As(err, &herr) || herr.Setting != tc.setting {
				t.Errorf("error %#v is not a *HarnessError for %s", err, tc.setting)
			}
			if !parsed {
				return
			}
			// Start refuses the same settings with the same error, and
			// starts nothing.
			tg, err := Start(context.Background(), s, nil)
			if tg != nil {
				tg.Close()
				t.Fatal("Start started a target")
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("Start error %v, want %s", err, tc.want)
			}
		})
	}
}

func TestZeroSettingsMeanDefaults(t *testing.T) {
	var s Settings
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate(zero) = %v", err)
	}
	d := s.withDefaults()
	if d.UDPMax != check.DefaultUDPMax || d.TimeScale != DefaultTimeScale {
		t.Errorf("withDefaults() = %+v", d)
	}
	if got := s.Scale(3 * time.Second); got != 3*time.Second {
		t.Errorf("zero Scale(3s) = %v", got)
	}
	for _, bad := range []Settings{{UDPMax: -1}, {UDPMax: 65508}, {TimeScale: -1}, {TimeScale: math.Inf(1)}} {
		if err := bad.Validate(); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("Validate(%+v) = %v, want a one-line error", bad, err)
		}
	}
}

func TestFlagsOverrideEnvAndNameThemselves(t *testing.T) {
	setEnv(t, map[string]string{EnvTCP: "127.0.0.1:9000", EnvUDPMax: "1024", EnvReport: "env-report"})
	s, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if err := fs.Parse([]string{"-udp-max", "512", "-time-scale", "0.5", "-udp", "127.0.0.1:9001"}); err != nil {
		t.Fatal(err)
	}
	want := Settings{TCP: "127.0.0.1:9000", UDP: "127.0.0.1:9001", UDPMax: 512, TimeScale: 0.5, Report: "env-report"}
	s.flagged = 0
	if s != want {
		t.Errorf("after flags: %+v, want %+v", s, want)
	}

	// An error names the flag when the flag gave the value.
	s, _ = FromEnv()
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if err := fs.Parse([]string{"-tcp", "localhost"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err == nil || err.Error() != `-tcp: "localhost" is not host:port` {
		t.Errorf("Validate() = %v, want the -tcp error", err)
	}
	s, _ = FromEnv()
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s.RegisterFlags(fs)
	if err := fs.Parse([]string{"-host", "::1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err == nil || err.Error() != `-host: ::1, but UPCHECK_TCP is 127.0.0.1:9000: the harness dials the address given (leave -host out, or make them agree)` {
		t.Errorf("Validate() = %v, want the -host error", err)
	}

	// Bad numbers are refused by the flag parser.
	for _, args := range [][]string{{"-udp-max", "abc"}, {"-udp-max", "0"}, {"-time-scale", "0"}, {"-time-scale", "x"}} {
		var s Settings
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s.RegisterFlags(fs)
		err := fs.Parse(args)
		if err == nil || !strings.Contains(err.Error(), args[0]) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want a one-line error naming the flag", args, err)
		}
	}

	// The usage names the variables and shows the defaults.
	var usage strings.Builder
	s = Settings{UDPMax: 8192, TimeScale: 1}
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(&usage)
	s.RegisterFlags(fs)
	fs.PrintDefaults()
	for _, w := range append(allEnv, "(default 8192)", "(default 1)") {
		if !strings.Contains(usage.String(), w) {
			t.Errorf("usage lacks %q:\n%s", w, usage.String())
		}
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		scale float64
		d     time.Duration
		want  time.Duration
	}{
		{1, time.Second, time.Second},
		{0.2, 10 * time.Second, 2 * time.Second},
		{3, 100 * time.Millisecond, 300 * time.Millisecond},
		{1e300, time.Second, math.MaxInt64},
	} {
		if got := (Settings{TimeScale: tc.scale}).Scale(tc.d); got != tc.want {
			t.Errorf("Scale %v of %v = %v, want %v", tc.scale, tc.d, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{}, "reference servers (in process)"},
		{Settings{ServerCmd: "python3 srv.py {tcp} {udp}"}, "command: python3 srv.py {tcp} {udp}"},
		{Settings{TCP: "127.0.0.1:9000"}, "tcp 127.0.0.1:9000"},
		{Settings{UDP: "127.0.0.1:9001"}, "udp 127.0.0.1:9001"},
		{Settings{TCP: "127.0.0.1:9000", UDP: "127.0.0.1:9001"}, "tcp 127.0.0.1:9000, udp 127.0.0.1:9001"},
		{Settings{Host: "127.0.0.1"}, "reference servers (in process)"},
		{Settings{Host: "::1"}, "reference servers (in process) on ::1"},
		{Settings{Host: "[::1]", ServerCmd: "srv --host {host} --tcp {tcp}"}, "command: srv --host {host} --tcp {tcp} on ::1"},
		{Settings{Host: "::1", TCP: "[::1]:9000"}, "tcp [::1]:9000"},
	} {
		if got := tc.s.Describe(); got != tc.want {
			t.Errorf("%+v.Describe() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// roundTripCases are settings as a user may give them, each a different
// mix of set and default values.
var roundTripCases = []Settings{
	{},
	{UDPMax: 8192, TimeScale: 1},
	{ServerCmd: `python3 "my server.py" --tcp {tcp} --udp {udp} # it's here`, TimeScale: 2.5, Report: "reports/conformance"},
	{TCP: "127.0.0.1:9000", UDP: "[::1]:9001", UDPMax: 1024, TimeScale: 0.1},
	{UDP: "127.0.0.1:9001", UDPMax: MaxUDPPayload, TimeScale: 1e-9},
	{ServerCmd: "bin/upperd -tcp {host}:{tcp}", UDPMax: 1},
	{ServerCmd: "bin/upperd -tcp [{host}]:{tcp} -udp [{host}]:{udp}", Host: "::1"},
	{Host: "[::1]"},
	{Host: "127.0.0.2", TimeScale: 3},
	{TCP: "[::1]:9000", Host: "::1"},
	{ExpectFail: "TCP-EOF, UDP-SOURCE", JUnit: "reports/junit.xml", Report: "r"},
	{ExpectFail: "@expected failures.txt"},
}

// sameSettings compares settings as FromEnv and the flags give them: the
// defaults filled in, without the record of which flags were given.
func sameSettings(a, b Settings) bool {
	a, b = a.withDefaults(), b.withDefaults()
	a.flagged, b.flagged = 0, 0
	return a == b
}

func TestEnvironRoundTrip(t *testing.T) {
	for _, s := range roundTripCases {
		env := s.Environ()
		setEnv(t, nil)
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(k, "UPCHECK_") {
				t.Fatalf("Environ() has %q", kv)
			}
			t.Setenv(k, v)
		}
		got, err := FromEnv()
		if err != nil {
			t.Fatalf("FromEnv from %q: %v", env, err)
		}
		if !sameSettings(got, s) {
			t.Errorf("FromEnv from Environ() = %q:\n got %+v\nwant %+v", env, got, s)
		}
	}
}

func TestArgsRoundTrip(t *testing.T) {
	setEnv(t, nil)
	for _, s := range roundTripCases {
		args := s.Args()
		got, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		got.RegisterFlags(fs)
		if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
			t.Fatalf("Parse(%q) = %v, %d arguments left", args, err, fs.NArg())
		}
		if !sameSettings(got, s) {
			t.Errorf("flags from Args() = %q:\n got %+v\nwant %+v", args, got, s)
		}
	}
}

// TestEnvironAndArgsLeaveDefaultsOut: a printed command sets only what the
// user set.
func TestEnvironAndArgsLeaveDefaultsOut(t *testing.T) {
	if env, args := (Settings{UDPMax: 8192, TimeScale: 1}).Environ(), (Settings{}).Args(); env != nil || args != nil {
		t.Errorf("defaults give %q and %q, want nothing", env, args)
	}
	s := Settings{ServerCmd: "srv {tcp}", UDPMax: 512, TimeScale: 2, Report: "r"}
	wantEnv := []string{"UPCHECK_SERVER_CMD=srv {tcp}", "UPCHECK_UDP_MAX=512", "UPCHECK_TIME_SCALE=2", "UPCHECK_REPORT=r"}
	if got := s.Environ(); !slices.Equal(got, wantEnv) {
		t.Errorf("Environ() = %q, want %q", got, wantEnv)
	}
	wantArgs := []string{"-server-cmd", "srv {tcp}", "-udp-max", "512", "-time-scale", "2", "-report", "r"}
	if got := s.Args(); !slices.Equal(got, wantArgs) {
		t.Errorf("Args() = %q, want %q", got, wantArgs)
	}
	// The default host is left out; another is given in its canonical form.
	if env := (Settings{Host: "127.0.0.1"}).Environ(); env != nil {
		t.Errorf("the default host gives %q, want nothing", env)
	}
	if got, want := (Settings{Host: "[::1]", TimeScale: 2}).Environ(), []string{"UPCHECK_TIME_SCALE=2", "UPCHECK_HOST=::1"}; !slices.Equal(got, want) {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
	if got, want := (Settings{Host: "0:0:0:0:0:0:0:1"}).Args(), []string{"-host", "::1"}; !slices.Equal(got, want) {
		t.Errorf("Args() = %q, want %q", got, want)
	}
}

func TestExpandFillsTheHost(t *testing.T) {
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{}, "srv --host 127.0.0.1 --tcp 9000 --udp 9001 -l [127.0.0.1]:9000"},
		{Settings{Host: "127.0.0.2"}, "srv --host 127.0.0.2 --tcp 9000 --udp 9001 -l [127.0.0.2]:9000"},
		{Settings{Host: "::1"}, "srv --host ::1 --tcp 9000 --udp 9001 -l [::1]:9000"},
		{Settings{Host: "[::1]"}, "srv --host ::1 --tcp 9000 --udp 9001 -l [::1]:9000"},
	} {
		got := expand("srv --host {host} --tcp {tcp} --udp {udp} -l [{host}]:{tcp}", tc.s.HostAddr(), 9000, 9001)
		if got != tc.want {
			t.Errorf("host %q: expand = %q, want %q", tc.s.Host, got, tc.want)
		}
	}
}

func TestServes(t *testing.T) {
	for _, tc := range []struct {
		s        Settings
		tcp, udp bool
	}{
		{Settings{}, true, true},
		{Settings{ServerCmd: "srv {tcp} {udp}"}, true, true},
		{Settings{ServerCmd: "srv {tcp}"}, true, false},
		{Settings{ServerCmd: "srv --udp {udp} --host {host}"}, false, true},
		{Settings{TCP: "127.0.0.1:9000"}, true, false},
		{Settings{UDP: "127.0.0.1:9001"}, false, true},
	} {
		if tcp, udp := tc.s.Serves(); tcp != tc.tcp || udp != tc.udp {
			t.Errorf("%+v.Serves() = %v, %v; want %v, %v", tc.s, tcp, udp, tc.tcp, tc.udp)
		}
	}
}
