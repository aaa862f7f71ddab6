package main

import (
	"regexp"
	"testing"
)

func TestParseList(t *testing.T) {
	out := "ok  \texample.com/m/a\t0.01s\n" +
		"rapid: seed 1, 25 checks per property\n" +
		"FuzzOne\nFuzzTwo\n" +
		"ok  \texample.com/m/b\t0.02s\n" +
		"FuzzThree\n" +
		"ok  \texample.com/m/c\t0.02s\n"
	dirs := map[string]string{"example.com/m/b": "/m/b", "example.com/m/c": "/m/c"}
	got := parseList(out, dirs, regexp.MustCompile("One|Three"))
	want := []fuzzTarget{{"example.com/m/b", "/m/b", "FuzzOne"}, {"example.com/m/c", "/m/c", "FuzzThree"}}
	if len(got) != len(want) {
		t.Fatalf("parseList = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
}
