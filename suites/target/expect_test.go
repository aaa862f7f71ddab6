package target

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpectedFailures(t *testing.T) {
	dir := t.TempDir()
	file := "# what this server does not do yet\n\nTCP-EOF   resets on a half-close\n  UDP-SOURCE\treplies from another socket  \n#UDP-ONCE\n"
	if err := os.WriteFile(filepath.Join(dir, "xfail.txt"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		setting string
		want    map[string]string
	}{
		{"", nil},
		{"TCP-EOF", map[string]string{"TCP-EOF": ""}},
		{" TCP-EOF , UDP-SOURCE,", map[string]string{"TCP-EOF": "", "UDP-SOURCE": ""}},
		{"@xfail.txt", map[string]string{"TCP-EOF": "resets on a half-close", "UDP-SOURCE": "replies from another socket"}},
		{"@" + filepath.Join(dir, "xfail.txt"), map[string]string{"TCP-EOF": "resets on a half-close", "UDP-SOURCE": "replies from another socket"}},
	} {
		got, err := Settings{ExpectFail: tc.setting}.ExpectedFailures(dir)
		if err != nil || !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("ExpectedFailures(%q) = %v, %v; want %v", tc.setting, got, err, tc.want)
		}
	}
}

func TestExpectedFailuresBad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("# c\nTCP-EOF why\nTCP-NOPE oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{ExpectFail: "TCP-EOF,TCP-NOPE"}, `UPCHECK_EXPECT_FAIL: unknown requirement "TCP-NOPE"`},
		{Settings{ExpectFail: "tcp-eof"}, `UPCHECK_EXPECT_FAIL: unknown requirement "tcp-eof"`},
		{Settings{ExpectFail: "@bad.txt"}, `UPCHECK_EXPECT_FAIL: unknown requirement "TCP-NOPE" (bad.txt:3)`},
		{Settings{ExpectFail: "@none.txt"}, `UPCHECK_EXPECT_FAIL: cannot read none.txt: no such file or directory`},
		{Settings{ExpectFail: "TCP-EMPTYWRITE"}, `UPCHECK_EXPECT_FAIL: TCP-EMPTYWRITE is INFO: it never fails, so it cannot be expected to`},
		{Settings{ExpectFail: "TCP-EOF,TCP-EOF"}, `UPCHECK_EXPECT_FAIL: TCP-EOF is given twice`},
		{Settings{ExpectFail: "X", flagged: 1 << setExpectFail}, `-expect-fail: unknown requirement "X"`},
	} {
		_, err := tc.s.ExpectedFailures(dir)
		var he *HarnessError
		if err == nil || !errors.As(err, &he) || err.Error() != tc.want || strings.Contains(err.Error(), "\n") {
			t.Errorf("ExpectedFailures(%q) = %v, want the one line %q", tc.s.ExpectFail, err, tc.want)
		}
	}
}
