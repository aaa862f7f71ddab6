package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/upcheck/upcheck/suites/target"
)

// Implementation is one column of the matrix: a server to check.
type Implementation struct {
	// Name heads the column and names its report files: letters,
	// digits, '.', '_' and '-'.
	Name string `json:"name"`
	// Command starts the server, in UPCHECK_SERVER_CMD's syntax ({tcp},
	// {udp}, {host}); it runs where the matrix is run (make matrix: the
	// module root).
	Command string `json:"command"`
	// Note says in a few words what the implementation is.
	Note string `json:"note,omitempty"`
	// Requires lists programs that must be on PATH (such as python3);
	// without them the implementation is skipped.
	Requires []string `json:"requires,omitempty"`
	// UDPMax is the implementation's declared maximum datagram payload;
	// 0 means the default (8192).
	UDPMax int `json:"udp_max,omitempty"`
	// TimeScale multiplies every timeout, for a slow implementation; 0
	// means 1.
	TimeScale float64 `json:"time_scale,omitempty"`
	// ExpectFail declares the requirements the implementation is expected
	// to fail, in UPCHECK_EXPECT_FAIL's syntax ("TCP-EOF,UDP-SOURCE", or
	// "@FILE", a relative FILE read from the working directory): they read
	// xfail and do not fail the matrix.
	ExpectFail string `json:"expect_fail,omitempty"`
}

// Settings are the settings of a run of the suites against im.
func (im Implementation) Settings() target.Settings {
	return target.Settings{ServerCmd: im.Command, UDPMax: im.UDPMax, TimeScale: im.TimeScale, ExpectFail: im.ExpectFail}
}

// configKeys name the settings an implementation has by their keys in the
// configuration file.
var configKeys = map[string]string{
	target.EnvServerCmd:  "command",
	target.EnvUDPMax:     "udp_max",
	target.EnvTimeScale:  "time_scale",
	target.EnvExpectFail: "expect_fail",
}

// Config is the matrix's configuration file: the implementations, in the
// order of the columns.
type Config struct {
	Implementations []Implementation `json:"implementations"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Load reads and validates the configuration at path. Unknown fields are
// errors, so that a misspelt key is not silently ignored.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse parses and validates a configuration.
func Parse(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate checks that every implementation has a valid, unique name and
// a command, and settings the suites take (target.Settings.Validate and
// ExpectedFailures, which reads an expect_fail @FILE), named by their keys
// here.
func (c Config) Validate() error {
	if len(c.Implementations) == 0 {
		return errors.New("no implementations")
	}
	seen := map[string]bool{}
	for i, im := range c.Implementations {
		switch {
		case !validName.MatchString(im.Name):
			return fmt.Errorf("implementation %d: name %q: use letters, digits, '.', '_' and '-'", i+1, im.Name)
		case seen[im.Name]:
			return fmt.Errorf("implementation %q is listed twice", im.Name)
		case im.Command == "":
			return fmt.Errorf("implementation %q has no command", im.Name)
		}
		s := im.Settings()
		err := s.Validate()
		if err == nil {
			_, err = s.ExpectedFailures("")
		}
		if err != nil {
			var herr *target.HarnessError
			if errors.As(err, &herr) && configKeys[herr.Setting] != "" {
				return fmt.Errorf("implementation %q: %s %s", im.Name, configKeys[herr.Setting], herr.Msg)
			}
			return fmt.Errorf("implementation %q: %w", im.Name, err)
		}
		seen[im.Name] = true
	}
	return nil
}
