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
		{"name": "python", "command": "python3 server.py --tcp {tcp}", "requires": ["python3"], "udp_max": 8192, "time_scale": 2}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Implementations) != 2 {
		t.Fatalf("%d implementations", len(c.Implementations))
	}
	p := c.Implementations[1]
	if p.Name != "python" || p.Requires[0] != "python3" || p.UDPMax != 8192 || p.TimeScale != 2 {
		t.Errorf("python = %+v", p)
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

// TestRepositoryConfig keeps the module's matrix.json valid and holding
// what make matrix promises: the reference, the Python example and at
// least five faulty servers.
func TestRepositoryConfig(t *testing.T) {
	c, err := Load("../../matrix.json")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	mutants := 0
	for _, im := range c.Implementations {
		names[im.Name] = true
		if strings.Contains(im.Command, "mutantd") {
			mutants++
		}
	}
	if !names["reference"] || !names["python"] {
		t.Errorf("matrix.json lacks the reference or the python example: %v", names)
	}
	if mutants < 5 {
		t.Errorf("matrix.json has %d faulty servers, want at least 5", mutants)
	}
}
