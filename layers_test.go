package upcheck

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/upcheck/upcheck"

// layers maps a folder of the module to its layer, as the package doc
// lists them. The longest matching folder wins.
var layers = map[string]int{
	"internal":      0,
	"servers":       1,
	"clients":       1,
	"faultproxy":    1,
	"suites/check":  2,
	"suites/target": 2,
	"suites/report": 2,
	"suites":        3,
	"fuzz":          3,
	"cmd":           3,
	"lab":           4,
	"":              -1, // the module root: this package, importing nothing
}

// layerOf returns the layer of a package of the module and the folder that
// decided it; ok is false for a package no folder of layers covers.
func layerOf(pkg string) (layer int, folder string, ok bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	best := ""
	found := false
	for f := range layers {
		if (rel == f || f == "" || strings.HasPrefix(rel, f+"/")) && (!found || len(f) > len(best)) {
			best, found = f, true
		}
	}
	if !found || (best == "" && rel != "") {
		return 0, "", false
	}
	return layers[best], best, true
}

func TestLayerOf(t *testing.T) {
	for _, c := range []struct {
		pkg  string
		want int
	}{
		{module + "/servers/serverstest", 1},
		{module + "/suites/check", 2},
		{module + "/suites/suiterun", 3},
		{module + "/suites", 3},
		{module + "/cmd/upperd", 3},
		{module + "/lab/cmd/mutantd", 4},
	} {
		if got, _, ok := layerOf(c.pkg); !ok || got != c.want {
			t.Errorf("layerOf(%s) = %d, %v; want %d", c.pkg, got, ok, c.want)
		}
	}
	if _, _, ok := layerOf(module + "/newfolder"); ok {
		t.Error("a folder missing from the layers has a layer")
	}
}

// TestImportsPointDown fails for every import, in a package or its tests,
// from a layer to a higher one, and for every package in no layer.
func TestImportsPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		from, ffolder, ok := layerOf(p.ImportPath)
		if !ok {
			t.Errorf("%s is in no layer: add its folder to layers and to the package doc", p.ImportPath)
			continue
		}
		for kind, imps := range map[string][]string{"imports": p.Imports, "tests import": append(p.TestImports, p.XTestImports...)} {
			for _, imp := range imps {
				if imp == p.ImportPath || !strings.HasPrefix(imp, module+"/") {
					continue
				}
				to, tfolder, ok := layerOf(imp)
				if ok && to > from {
					t.Errorf("%s (%s, layer %d) %s %s (%s, layer %d): an import pointing up",
						p.ImportPath, ffolder, from, kind, imp, tfolder, to)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list saw %d packages; want the whole module", n)
	}
}
