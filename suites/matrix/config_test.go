package matrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	c, err := Parse([]byte(`{"implementations": [
		{"name": "reference", "command": "bin/upperd -tcp 127.0.0.1:{tcp} -udp 127.0.0.1:{udp}", "note": "Go"},
		{"name": "python", "command": "python3 server.py --tcp {tcp}", "requires": ["python3"], "udp_max": 8192, "time_scale": 2, "expect_fail": "TCP-EOF"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Implementations) != 2 {
		t.Fatalf("%d implementations", len(c.Implementations))
	}
	p := c.Implementations[1]
	if p.Name != "python" || p.Requires[0] != "python3" || p.UDPMax != 8192 || p.TimeScale != 2 || p.ExpectFail != "TCP-EOF" {
		t.Errorf("python = %+v", p)
	}
	if s := p.Settings(); s.ServerCmd != p.Command || s.UDPMax != 8192 || s.TimeScale != 2 || s.ExpectFail != "TCP-EOF" {
		t.Errorf("python's settings = %+v", s)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{}`, "no implementations"},
		{`{"implementations": [{"name": "a b", "command": "x"}]}`, `name "a b"`},
		{`{"implementations": [{"name": "../x", "command": "x"}]}`, `name "../x"`},
		{`{"implementations": [{"name": "a", "command": "x {tcp}"}, {"name": "a", "command": "y {tcp}"}]}`, "listed twice"},
		{`{"implementations": [{"name": "a"}]}`, "no command"},
		{`{"implementations": [{"name": "a", "command": "x", "comand": "y"}]}`, "unknown field"},
		{`{"implementations": [{"name": "a", "command": "x {tcp}", "udp_max": 70000}]}`, `implementation "a": udp_max 70000 is out of range 1..65507`},
		{`{"implementations": [{"name": "a", "command": "x {udp}", "time_scale": -1}]}`, `implementation "a": time_scale -1 must be greater than 0`},
		{`{"implementations": [{"name": "a", "command": "x"}]}`, `implementation "a": command "x" has neither {tcp} nor {udp}`},
		{`{"implementations": [`, "unexpected EOF"},
		{`{"implementations": [{"name": "a", "command": "x {tcp}", "expect_fail": "TCP-NOPE"}]}`, `implementation "a": expect_fail unknown requirement "TCP-NOPE"`},
		{`{"implementations": [{"name": "a", "command": "x {tcp}", "expect_fail": "@no-such-file.txt"}]}`, `implementation "a": expect_fail cannot read no-such-file.txt`},
	} {
		_, err := Parse([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want an error saying %q", tc.json, err, tc.want)
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "matrix.json")
	if err := os.WriteFile(path, []byte(`{"implementations": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load = %v, want an error naming %s", err, path)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("Load of a missing file: no error")
	}
}
