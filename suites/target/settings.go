package target

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
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
	EnvHost      = "UPCHECK_HOST"
	EnvReport    = "UPCHECK_REPORT"
)

// TargetEnv lists the variables that choose the target and how it is
// judged (all but the report's), in the order a printed command sets them.
var TargetEnv = []string{EnvServerCmd, EnvTCP, EnvUDP, EnvUDPMax, EnvTimeScale, EnvHost}

// The settings of a run's verdict and outputs, beside the target's.
const (
	EnvExpectFail = "UPCHECK_EXPECT_FAIL"
	EnvJUnit      = "UPCHECK_JUNIT"
)

// RunEnv lists the variables beside TargetEnv: which failures are
// expected and where the reports go. Every setting is in one of the two.
var RunEnv = []string{EnvExpectFail, EnvReport, EnvJUnit}

// Defaults of the settings that have one; the declared UDP maximum's is
// check.DefaultUDPMax.
const (
	// MaxUDPPayload is the largest payload an IPv4 UDP datagram can carry.
	MaxUDPPayload = 65507
	// DefaultTimeScale leaves every timeout as it is.
	DefaultTimeScale = 1.0
	// DefaultHost is the loopback address the harness binds the ports it
	// picks on, fills {host} with and dials, unless told otherwise.
	DefaultHost = "127.0.0.1"
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
	// Host is the loopback address (127.0.0.0/8 or ::1) the harness binds
	// the ports it picks on, fills {host} with and dials: where the
	// reference servers and a server command's servers listen. "" means
	// DefaultHost (UPCHECK_HOST, -host). Already-running servers are dialed
	// at their own addresses, whose host, when an IP address, must then be
	// Host.
	Host string
	// Report is where the conformance report goes; "" means nowhere
	// (UPCHECK_REPORT, -report).
	Report string
	// Dir is where the server command runs; "" means the root of the Go
	// module above the working directory, or the working directory outside
	// a module (a command's setting, not the environment's: upcheck runs
	// it in the working directory).
	Dir string

	// ExpectFail declares the requirements expected to fail: a comma list
	// of IDs, or "@FILE" naming a file with one ID and its reason a line
	// (UPCHECK_EXPECT_FAIL, -expect-fail); see ExpectedFailures.
	ExpectFail string
	// JUnit is where the JUnit XML report goes; "" means nowhere
	// (UPCHECK_JUNIT, -junit).
	JUnit string

	// flagged records which settings were last set by their flag, so that
	// errors name what the user typed.
	flagged uint16
}

// setting identifies one setting, for naming it in errors.
type setting uint8

const (
	setServerCmd setting = iota
	setTCP
	setUDP
	setUDPMax
	setTimeScale
	setHost
	setReport
	setExpectFail
	setJUnit
)

var settingNames = [...]struct{ env, flag string }{
	setServerCmd: {EnvServerCmd, "server-cmd"},
	setTCP:       {EnvTCP, "tcp"},
	setUDP:       {EnvUDP, "udp"},
	setUDPMax:    {EnvUDPMax, "udp-max"},
	setTimeScale: {EnvTimeScale, "time-scale"},
	setHost:      {EnvHost, "host"},
	setReport:    {EnvReport, "report"},

	setExpectFail: {EnvExpectFail, "expect-fail"},
	setJUnit:      {EnvJUnit, "junit"},
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
	s.Host = get(setHost)
	s.Report = get(setReport)
	s.ExpectFail = get(setExpectFail)
	s.JUnit = get(setJUnit)
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
// -udp-max, -time-scale, -host, -report), bound to s's fields, with s's
// current values as defaults: call FromEnv first so that the flags default to
// the environment and a flag given on the command line wins over its
// variable.
func (s *Settings) RegisterFlags(fs *flag.FlagSet) {
	fs.Var(&stringFlag{s, setServerCmd, &s.ServerCmd}, "server-cmd",
		"shell `command` that starts the server under test; {tcp}, {udp} and {host} are replaced by free ports and the -host address (env "+EnvServerCmd+")")
	fs.Var(&stringFlag{s, setTCP, &s.TCP}, "tcp",
		"`host:port` of a TCP server that is already running (env "+EnvTCP+")")
	fs.Var(&stringFlag{s, setUDP, &s.UDP}, "udp",
		"`host:port` of a UDP server that is already running (env "+EnvUDP+")")
	fs.Var(&udpMaxFlag{s}, "udp-max",
		"the implementation's declared maximum datagram `payload`, 1.."+strconv.Itoa(MaxUDPPayload)+" (env "+EnvUDPMax+")")
	fs.Var(&timeScaleFlag{s}, "time-scale",
		"`factor` multiplying every timeout, for slow machines (env "+EnvTimeScale+")")
	fs.Var(&stringFlag{s, setHost, &s.Host}, "host",
		"loopback `address` the harness binds picked ports on, fills {host} with and dials: "+DefaultHost+" by default, ::1 for IPv6 (env "+EnvHost+")")
	fs.Var(&stringFlag{s, setReport, &s.Report}, "report",
		"`path` of the conformance report: JSON there, Markdown and HTML beside it (env "+EnvReport+")")

	fs.Var(&stringFlag{s, setExpectFail, &s.ExpectFail}, "expect-fail",
		"requirement `IDs` expected to fail, comma-separated, or @FILE with one ID and its reason a line: they read xfail and do not fail the run; one that passes does (env "+EnvExpectFail+")")
	fs.Var(&stringFlag{s, setJUnit, &s.JUnit}, "junit",
		"`path` of a JUnit XML report, one test case per requirement, for CI (env "+EnvJUnit+")")
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

// withDefaults returns s with the zero values replaced by the defaults, and
// Host in its canonical form ("::1" for "[::1]").
func (s Settings) withDefaults() Settings {
	if s.UDPMax == 0 {
		s.UDPMax = check.DefaultUDPMax
	}
	if s.TimeScale == 0 {
		s.TimeScale = DefaultTimeScale
	}
	if s.Host == "" {
		s.Host = DefaultHost
	} else if a, err := parseHost(s.Host); err == nil {
		s.Host = a.String()
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
	if err := checkHost(s.Host); err != nil {
		return settingErr(s.name(setHost), "%s", err)
	}
	if s.Host != "" {
		for _, k := range []setting{setTCP, setUDP} {
			if err := s.sameHost(k); err != nil {
				return settingErr(s.name(setHost), "%s", err)
			}
		}
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
// placeholder it does not have) and the host, as an address without
// brackets ("::1"; a command that joins it to a port writes "[{host}]:{tcp}").
func expand(command, host string, tcp, udp int) string {
	return strings.NewReplacer(
		PlaceholderTCP, strconv.Itoa(tcp),
		PlaceholderUDP, strconv.Itoa(udp),
		PlaceholderHost, host,
	).Replace(command)
}

// parseHost parses a host setting: a loopback IP address, 127.0.0.0/8 or
// ::1, with or without brackets. The harness runs on loopback only.
func parseHost(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
	switch {
	case err != nil && checkHostPort(v) == nil:
		return netip.Addr{}, fmt.Errorf("%q is host:port: give the address alone (%s, another of 127.0.0.0/8, or ::1)", v, DefaultHost)
	case err != nil:
		return netip.Addr{}, fmt.Errorf("%q is not an IP address (want a loopback address: %s, another of 127.0.0.0/8, or ::1)", v, DefaultHost)
	case a.Zone() != "" || !(a.Is4() && a.IsLoopback() || a == netip.IPv6Loopback()):
		return netip.Addr{}, fmt.Errorf("%s is not a loopback address (want %s, another of 127.0.0.0/8, or ::1)", v, DefaultHost)
	}
	return a, nil
}

// checkHost checks a host setting: "" (the default) or what parseHost
// accepts.
func checkHost(v string) error {
	if v == "" {
		return nil
	}
	_, err := parseHost(v)
	return err
}

// host is the address of Host, DefaultHost's when Host is "" (or bad:
// Validate refuses it).
func (s Settings) host() netip.Addr {
	if a, err := parseHost(s.Host); err == nil {
		return a
	}
	return netip.MustParseAddr(DefaultHost)
}

// HostAddr is where the harness binds the ports it picks, dials them and
// what fills {host}: Host as an address ("::1", "127.0.0.1"), DefaultHost
// when Host is "".
func (s Settings) HostAddr() string { return s.host().String() }

// sameHost returns an error when the already-running server of setting k
// (TCP or UDP) is at an IP address other than Host's: the harness dials the
// address given, so a Host that differs would be a setting without effect.
// A host name is dialed as it is.
func (s Settings) sameHost(k setting) error {
	v := s.TCP
	if k == setUDP {
		v = s.UDP
	}
	h, _, err := net.SplitHostPort(v)
	if err != nil {
		return nil
	}
	a, err := netip.ParseAddr(h)
	if err != nil || a.Unmap() == s.host() {
		return nil
	}
	return fmt.Errorf("%s, but %s is %s: the harness dials the address given (leave %s out, or make them agree)",
		s.host(), s.name(k), v, s.name(setHost))
}

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
// "tcp 127.0.0.1:9000, udp 127.0.0.1:9001"; the reference and a command
// on a host other than DefaultHost add it: "reference servers (in
// process) on ::1", "command: <cmd> on ::1". It holds no picked port, so it
// is the same on every run.
func (s Settings) Describe() string {
	on := ""
	if h := s.HostAddr(); h != DefaultHost {
		on = " on " + h
	}
	if s.ServerCmd != "" {
		return "command: " + s.ServerCmd + on
	}
	var parts []string
	if s.TCP != "" {
		parts = append(parts, "tcp "+s.TCP)
	}
	if s.UDP != "" {
		parts = append(parts, "udp "+s.UDP)
	}
	if len(parts) == 0 {
		return "reference servers (in process)" + on
	}
	return strings.Join(parts, ", ")
}

// Environ returns s as the environment that gives it back through FromEnv:
// "UPCHECK_SERVER_CMD=…" and the like, for the settings that are set and
// differ from their defaults, in TargetEnv's order, then RunEnv's.
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
	if s.Host != "" {
		// A bad host is kept as it is, for Validate to refuse.
		h := s.Host
		if a, err := parseHost(h); err == nil {
			h = a.String()
		}
		if h != DefaultHost {
			out = append(out, field{setHost, h})
		}
	}
	if s.ExpectFail != "" {
		out = append(out, field{setExpectFail, s.ExpectFail})
	}
	if s.Report != "" {
		out = append(out, field{setReport, s.Report})
	}
	if s.JUnit != "" {
		out = append(out, field{setJUnit, s.JUnit})
	}
	return out
}

// ExpectedFailures returns the requirements the ExpectFail setting
// declares expected to fail, ID → reason (the reason "" when none is
// given): nil when it is not set. The setting is a comma list of IDs
// ("TCP-EOF,UDP-SOURCE"), or "@FILE" naming a file with one ID and its
// reason a line ("TCP-EOF  the server resets on a half-close"), where
// blank lines and lines starting with # are left out. A relative FILE is
// read from dir ("" for the working directory). The error is a
// *HarnessError naming the setting: a file that cannot be read, an
// unknown requirement ID, an INFO requirement (it never fails), or an ID
// given twice.
func (s Settings) ExpectedFailures(dir string) (map[string]string, error) {
	v := strings.TrimSpace(s.ExpectFail)
	if v == "" {
		return nil, nil
	}
	name := s.name(setExpectFail)
	type entry struct{ id, reason, where string }
	var entries []entry
	if file, ok := strings.CutPrefix(v, "@"); ok {
		path := file
		if dir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, settingErr(name, "cannot read %s: %v", file, err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			id, reason := line, ""
			if j := strings.IndexAny(line, " \t"); j >= 0 {
				id, reason = line[:j], line[j+1:]
			}
			entries = append(entries, entry{id, strings.TrimSpace(reason), fmt.Sprintf(" (%s:%d)", file, i+1)})
		}
	} else {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				entries = append(entries, entry{id: id})
			}
		}
	}
	out := map[string]string{}
	for _, e := range entries {
		req, ok := check.Lookup(e.id)
		switch {
		case !ok:
			return nil, settingErr(name, "unknown requirement %q%s", e.id, e.where)
		case req.Level == check.Info:
			return nil, settingErr(name, "%s is INFO%s: it never fails, so it cannot be expected to", e.id, e.where)
		}
		if _, dup := out[e.id]; dup {
			return nil, settingErr(name, "%s is given twice%s", e.id, e.where)
		}
		out[e.id] = e.reason
	}
	return out, nil
}
