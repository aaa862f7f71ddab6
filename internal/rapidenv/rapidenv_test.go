package rapidenv

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // substring of the error; "" for none
	}{
		{nil, ""},
		{map[string]string{"RAPID_CHECKS": "100", "RAPID_SEED": "0x2a", "RAPID_V": "true", "RAPID_SHRINKTIME": "30s", "RAPID_FAILFILE": "any text"}, ""},
		{map[string]string{"RAPID_CHECKS": "abc"}, `RAPID_CHECKS: "abc" is not a valid value`},
		{map[string]string{"RAPID_STEPS": "1.5"}, `RAPID_STEPS: "1.5"`},
		{map[string]string{"RAPID_SEED": "-1"}, `RAPID_SEED: "-1"`},
		{map[string]string{"RAPID_NOFAILFILE": "yes"}, `RAPID_NOFAILFILE: "yes"`},
		{map[string]string{"RAPID_SHRINKTIME": "30"}, `RAPID_SHRINKTIME: "30"`},
		{map[string]string{"RAPID_CHECKS": ""}, `RAPID_CHECKS: ""`},
	} {
		err := Check(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one containing %q", tc.env, err, tc.want)
		}
	}
}
