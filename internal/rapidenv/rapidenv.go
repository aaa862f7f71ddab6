// Package rapidenv checks the RAPID_* environment variables the way
// pgregory.net/rapid reads them. rapid parses them in its init and panics on
// a malformed one, with a stack trace, before main runs. A command that
// links rapid imports this package for its side effect: its init runs
// first, and ends the program with a one-line error and exit status 2.
//
// It runs first because Go initializes packages in import-path order among
// those whose imports are initialized, this package's path sorts before
// "pgregory.net/rapid", and it imports nothing rapid does not.
package rapidenv

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// kinds maps each variable rapid reads to the parser it uses.
var kinds = []struct {
	name  string
	parse func(string) error
}{
	{"RAPID_CHECKS", parseInt},
	{"RAPID_STEPS", parseInt},
	{"RAPID_NOFAILFILE", parseBool},
	{"RAPID_SEED", parseUint},
	{"RAPID_LOG", parseBool},
	{"RAPID_V", parseBool},
	{"RAPID_DEBUG", parseBool},
	{"RAPID_DEBUGVIS", parseBool},
	{"RAPID_SHRINKTIME", parseDuration},
}

func parseInt(s string) error {
	_, err := strconv.ParseInt(s, 0, strconv.IntSize)
	return err
}

func parseUint(s string) error {
	_, err := strconv.ParseUint(s, 0, 64)
	return err
}

func parseBool(s string) error {
	_, err := strconv.ParseBool(s)
	return err
}

func parseDuration(s string) error {
	_, err := time.ParseDuration(s)
	return err
}

// Check returns an error naming the first RAPID_* variable that lookup
// gives a value rapid cannot parse, or nil.
func Check(lookup func(string) (string, bool)) error {
	for _, k := range kinds {
		v, ok := lookup(k.name)
		if !ok {
			continue
		}
		if err := k.parse(v); err != nil {
			return fmt.Errorf("%s: %q is not a valid value (%v)", k.name, v, err)
		}
	}
	return nil
}

func init() {
	if err := Check(os.LookupEnv); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", progName(), err)
		os.Exit(2)
	}
}

// progName is the running command's base name, for the error line.
func progName() string {
	name := os.Args[0]
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}
