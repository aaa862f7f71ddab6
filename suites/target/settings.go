package target

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/upcheck/upcheck/suites/check"
)

// The environment variables of CONTRACT.md; errors about a setting name it by
// its variable unless the value came from its flag.
const (
	EnvServerCmd = "UPCHECK_SERVER_CMD"
	EnvTCP       = "UPCHECK_TCP"
	EnvUDP       = "UPCHECK_UDP"
	EnvUDPMax    = "UPCHECK_UDP_MAX"
	EnvTimeScale = "UPCHECK_TIME_SCALE"
	EnvReport    = "UPCHECK_REPORT"
)

// TargetEnv lists the variables that choose the target and how it is
// judged (all but the report's), in the order a printed command sets them.
var TargetEnv = []string{EnvServerCmd, EnvTCP, EnvUDP, EnvUDPMax, EnvTimeScale}

// Defaults of the settings that have one; the declared UDP maximum's is
// check.DefaultUDPMax.
const (
	// MaxUDPPayload is the largest payload an IPv4 UDP datagram can carry.
	MaxUDPPayload = 65507
	// DefaultTimeScale leaves every timeout as it is.
	DefaultTimeScale = 1.0
)

// The placeholders of a server command.
const (
	PlaceholderTCP  = "{tcp}"
	PlaceholderUDP  = "{udp}"
	PlaceholderHost = "{host}"
)

// Settings are the user's choice of target: the settings of CONTRACT.md.
//
// The zero value means the defaults: the reference servers in process, a
// declared UDP maximum of check.DefaultUDPMax and a time scale of 1. So a zero
// UDPMax or TimeScale in a Settings built in code means "default"; from the
// environment or a flag, 0 is rejected rather than silently turned into the
// default.
type Settings struct {
	// ServerCmd is a shell command that starts the server under test, with
	// {tcp}, {udp} and {host} placeholders (UPCHECK_SERVER_CMD, -server-cmd).
	ServerCmd string
	// TCP and UDP are host:port of servers that are already running
	// (UPCHECK_TCP, -tcp; UPCHECK_UDP, -udp).
	TCP, UDP string
	// UDPMax is the implementation's declared maximum datagram payload,
	// 1..65507; 0 means check.DefaultUDPMax (UPCHECK_UDP_MAX, -udp-max).
	UDPMax int
	// TimeScale multiplies every timeout, for slow machines; 0 means 1
	// (UPCHECK_TIME_SCALE, -time-scale).
	TimeScale float64
	// Report is where the conformance report goes; "" means nowhere
	// (UPCHECK_REPORT, -report).
	Report string
	// Dir is where the server command runs; "" means the root of the Go
	// module above the working directory, or the working directory outside
	// a module (a command's setting, not the environment's: upcheck runs
	// it in the working directory).
	Dir string

	// flagged records which settings were last set by their flag, so that
	// errors name what the user typed.
	flagged uint8
}

// setting identifies one setting, for naming it in errors.
type setting uint8

const (
	setServerCmd setting = iota
	setTCP
	setUDP
	setUDPMax
	setTimeScale
	setReport
)

var settingNames = [...]struct{ env, flag string }{
	setServerCmd: {EnvServerCmd, "server-cmd"},
	setTCP:       {EnvTCP, "tcp"},
	setUDP:       {EnvUDP, "udp"},
	setUDPMax:    {EnvUDPMax, "udp-max"},
	setTimeScale: {EnvTimeScale, "time-scale"},
	setReport:    {EnvReport, "report"},
}

// name is how errors call the setting: "-tcp" when the flag set it,
// "UPCHECK_TCP" otherwise.
func (s Settings) name(k setting) string {
	if s.flagged&(1<<k) != 0 {
		return "-" + settingNames[k].flag
	}
	return settingNames[k].env
}

func settingErr(name, format string, args ...any) *HarnessError {
	return &HarnessError{Setting: name, Msg: fmt.Sprintf(format, args...)}
}

// FromEnv reads the settings from the environment. A variable that is unset
// or empty keeps its default. It returns the settings read so far and a
// *HarnessError naming the variable when a number does not parse or is out of
// range; the other checks are Validate's.
func FromEnv() (Settings, error) {
	s := Settings{UDPMax: check.DefaultUDPMax, TimeScale: DefaultTimeScale}
	get := func(k setting) string { return strings.TrimSpace(os.Getenv(settingNames[k].env)) }
	s.ServerCmd = get(setServerCmd)
	s.TCP = get(setTCP)
	s.UDP = get(setUDP)
	s.Report = get(setReport)
	var errs []error
	if v := get(setUDPMax); v != "" {
		n, err := parseUDPMax(v)
		if err != nil {
			errs = append(errs, settingErr(EnvUDPMax, "%s", err))
		} else {
			s.UDPMax = n
		}
	}
	if v := get(setTimeScale); v != "" {
		f, err := parseTimeScale(v)
		if err != nil {
			errs = append(errs, settingErr(EnvTimeScale, "%s", err))
		} else {
			s.TimeScale = f
		}
	}
	if len(errs) > 0 {
		return s, errs[0]
	}
	return s, nil
}

// parseUDPMax parses a declared UDP maximum as given by a user: an integer in
// 1..MaxUDPPayload (0 is refused: it is the zero value's "default").
func parseUDPMax(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if n < 1 || n > MaxUDPPayload {
		return 0, fmt.Errorf("%d is out of range 1..%d", n, MaxUDPPayload)
	}
	return n, nil
}

// parseTimeScale parses a time scale as given by a user: a finite number
// greater than 0.
func parseTimeScale(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return f, checkTimeScale(f)
}

func checkTimeScale(f float64) error {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return fmt.Errorf("%v is not a finite number", f)
	case f <= 0:
		return fmt.Errorf("%v must be greater than 0", f)
	}
	return nil
}

// RegisterFlags defines the settings' flags on fs (-server-cmd, -tcp, -udp,
// -udp-max, -time-scale, -report), bound to s's fields, with s's current
// values as defaults: call FromEnv first so that the flags default to the
// environment and a flag given on the command line wins over its variable.
func (s *Settings) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(&stringFlag{s, setServerCmd, &s.ServerCmd}, "server-cmd",
		"shell `command` that starts the server under test; {tcp}, {udp} and {host} are replaced by free ports and 127.0.0.1 (env "+EnvServerCmd+")")
	fs.Var(&stringFlag{s, setTCP, &s.TCP}, "tcp",
		"`host:port` of a TCP server that is already running (env "+EnvTCP+")")
	fs.Var(&stringFlag{s, setUDP, &s.UDP}, "udp",
		"`host:port` of a UDP server that is already running (env "+EnvUDP+")")
	fs.Var(&udpMaxFlag{s}, "udp-max",
		"the implementation's declared maximum datagram `payload`, 1.."+strconv.Itoa(MaxUDPPayload)+" (env "+EnvUDPMax+")")
	fs.Var(&timeScaleFlag{s}, "time-scale",
		"`factor` multiplying every timeout, for slow machines (env "+EnvTimeScale+")")
	fs.Var(&stringFlag{s, setReport, &s.Report}, "report",
		"`path` of the conformance report: JSON there, Markdown beside it (env "+EnvReport+")")
}

type stringFlag struct {
	s *Settings
	k setting
	p *string
}

func (f *stringFlag) String() string {
	if f == nil || f.p == nil {
		return ""
	}
	return *f.p
}

func (f *stringFlag) Set(v string) error {
	*f.p = strings.TrimSpace(v)
	f.s.flagged |= 1 << f.k
	return nil
}

type udpMaxFlag struct{ s *Settings }

func (f *udpMaxFlag) String() string {
	if f == nil || f.s == nil {
		return ""
	}
	return strconv.Itoa(f.s.withDefaults().UDPMax)
}

func (f *udpMaxFlag) Set(v string) error {
	n, err := parseUDPMax(strings.TrimSpace(v))
	if err != nil {
		return err
	}
	f.s.UDPMax = n
	f.s.flagged |= 1 << setUDPMax
	return nil
}

type timeScaleFlag struct{ s *Settings }

func (f *timeScaleFlag) String() string {
	if f == nil || f.s == nil {
		return ""
	}
	return strconv.FormatFloat(f.s.withDefaults().TimeScale, 'g', -1, 64)
}

func (f *timeScaleFlag) Set(v string) error {
	x, err := parseTimeScale(strings.TrimSpace(v))
	if err != nil {
		return err
	}
	f.s.TimeScale = x
	f.s.flagged |= 1 << setTimeScale
	return nil
}

// withDefaults returns s with the zero values replaced by the defaults.
func (s Settings) withDefaults() Settings {
	if s.UDPMax == 0 {
		s.UDPMax = check.DefaultUDPMax
	}
	if s.TimeScale == 0 {
		s.TimeScale = DefaultTimeScale
	}
	return s
}

// Validate checks the settings and returns the first problem as a
// *HarnessError whose one-line text names the setting, such as
//
//	UPCHECK_TCP: "localhost" is not host:port
func (s Settings) Validate() error {
	if s.ServerCmd != "" {
		if tcp, udp := placeholders(s.ServerCmd); !tcp && !udp {
			return settingErr(s.name(setServerCmd), "%q has neither %s nor %s: the harness cannot tell the server which ports to serve",
				s.ServerCmd, PlaceholderTCP, PlaceholderUDP)
		}
	}
	if err := checkHostPort(s.TCP); err != nil {
		return settingErr(s.name(setTCP), "%s", err)
	}
	if err := checkHostPort(s.UDP); err != nil {
		return settingErr(s.name(setUDP), "%s", err)
	}
	if s.ServerCmd != "" && (s.TCP != "" || s.UDP != "") {
		other := s.name(setTCP)
		if s.TCP == "" {
			other = s.name(setUDP)
		}
		return settingErr(s.name(setServerCmd), "cannot be combined with %s: the command's servers get their ports from %s and %s",
			other, PlaceholderTCP, PlaceholderUDP)
	}
	if s.UDPMax < 0 || s.UDPMax > MaxUDPPayload {
		return settingErr(s.name(setUDPMax), "%d is out of range 1..%d", s.UDPMax, MaxUDPPayload)
	}
	if s.TimeScale != 0 {
		if err := checkTimeScale(s.TimeScale); err != nil {
			return settingErr(s.name(setTimeScale), "%s", err)
		}
	}
	return nil
}

// placeholders reports which of {tcp} and {udp} a server command has: the
// protocols it serves.
func placeholders(command string) (tcp, udp bool) {
	return strings.Contains(command, PlaceholderTCP), strings.Contains(command, PlaceholderUDP)
}

// expand fills the placeholders of a server command: the ports (0 for a
// placeholder it does not have) and the host.
func expand(command string, tcp, udp int) string {
	return strings.NewReplacer(
		PlaceholderTCP, strconv.Itoa(tcp),
		PlaceholderUDP, strconv.Itoa(udp),
		PlaceholderHost, loopback,
	).Replace(command)
}

// loopback is the host of a server command's ports, and {host}.
const loopback = "127.0.0.1"

// Serves reports which protocols the target s describes serves: a server
// command those whose placeholder it has, already-running servers those
// whose address is set, the reference both.
func (s Settings) Serves() (tcp, udp bool) {
	switch {
	case s.ServerCmd != "":
		return placeholders(s.ServerCmd)
	case s.TCP != "" || s.UDP != "":
		return s.TCP != "", s.UDP != ""
	}
	return true, true
}

// checkHostPort checks an address setting: "" (not set) or host:port with a
// host and a numeric port in 1..65535.
func checkHostPort(v string) error {
	if v == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port", v)
	}
	if host == "" {
		return fmt.Errorf("%q has no host (want host:port, such as 127.0.0.1:9000)", v)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("port %q in %q is not a number", port, v)
	}
	if n < 1 || n > 65535 {
		return fmt.Errorf("port %d in %q is out of range 1..65535", n, v)
	}
	return nil
}

// Scale returns d multiplied by the time scale: the one knob for every
// timeout. It saturates instead of overflowing.
func (s Settings) Scale(d time.Duration) time.Duration {
	f := float64(d) * s.withDefaults().TimeScale
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(f)
}

// Describe says what the settings point at, in the words of the report's
// "target" field: "reference servers (in process)", "command: <cmd>" or
// "tcp 127.0.0.1:9000, udp 127.0.0.1:9001". It holds no picked port, so it is
// the same on every run.
func (s Settings) Describe() string {
	if s.ServerCmd != "" {
		return "command: " + s.ServerCmd
	}
	var parts []string
	if s.TCP != "" {
		parts = append(parts, "tcp "+s.TCP)
	}
	if s.UDP != "" {
		parts = append(parts, "udp "+s.UDP)
	}
	if len(parts) == 0 {
		return "reference servers (in process)"
	}
	return strings.Join(parts, ", ")
}

// Environ returns s as the environment that gives it back through FromEnv:
// "UPCHECK_SERVER_CMD=…" and the like, for the settings that are set and
// differ from their defaults, in TargetEnv's order with the report's last.
// A program run with it (and no UPCHECK_* variable of its own) points at
// the same target, judged the same way.
func (s Settings) Environ() []string {
	var env []string
	for _, kv := range s.fields() {
		env = append(env, settingNames[kv.k].env+"="+kv.v)
	}
	return env
}

// Args returns s as the flags that give it back through RegisterFlags:
// "-server-cmd", "…" and the like, for the settings that are set and differ
// from their defaults, in the order of Environ.
func (s Settings) Args() []string {
	var args []string
	for _, kv := range s.fields() {
		args = append(args, "-"+settingNames[kv.k].flag, kv.v)
	}
	return args
}

// field is one setting with its value as text.
type field struct {
	k setting
	v string
}

// fields returns the settings of s that are set and differ from their
// defaults, as the text FromEnv and the flags parse back.
func (s Settings) fields() []field {
	d := s.withDefaults()
	var out []field
	if s.ServerCmd != "" {
		out = append(out, field{setServerCmd, s.ServerCmd})
	}
	if s.TCP != "" {
		out = append(out, field{setTCP, s.TCP})
	}
	if s.UDP != "" {
		out = append(out, field{setUDP, s.UDP})
	}
	if d.UDPMax != check.DefaultUDPMax {
		out = append(out, field{setUDPMax, strconv.Itoa(d.UDPMax)})
	}
	if d.TimeScale != DefaultTimeScale {
		out = append(out, field{setTimeScale, strconv.FormatFloat(d.TimeScale, 'g', -1, 64)})
	}
	if s.Report != "" {
		out = append(out, field{setReport, s.Report})
	}
	return out
}
