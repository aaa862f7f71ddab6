package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// echoPy is a server in another language that breaks TCP-BYTES: it echoes
// every byte unchanged.
const echoPy = `import socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(1024)
            if not d:
                break
            self.request.sendall(d)
socketserver.ThreadingTCPServer.allow_reuse_address = True
s = socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), H)
s.daemon_threads = True
s.serve_forever()
`

type actionRun struct {
	code             int
	log              string
	summary, outputs string
	work             string
}

// runAction runs the action's steps (action/check.sh, what action.yml runs)
// as a runner would: inputs as INPUT_* variables, the action's checkout in
// ACTION_PATH (this module), the job summary and outputs in files.
func runAction(t *testing.T, inputs map[string]string) actionRun {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(root, "action", "check.sh"))
	cmd.Dir = work
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPCHECK_") && !strings.HasPrefix(kv, "INPUT_") && !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	summary, outputs := filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "outputs")
	cmd.Env = append(cmd.Env, "ACTION_PATH="+root, "RUNNER_TEMP="+tmp,
		"GITHUB_STEP_SUMMARY="+summary, "GITHUB_OUTPUT="+outputs)
	for k, v := range inputs {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the action: %v\n%s", err, out.String())
	}
	s, _ := os.ReadFile(summary)
	o, _ := os.ReadFile(outputs)
	return actionRun{cmd.ProcessState.ExitCode(), out.String(), string(s), string(o), work}
}

func needPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
}

// TestActionPassesThePythonExample runs the action's steps against the
// Python example: exit 0, the Markdown report in the job summary, the
// reports in the report directory, the status among the outputs.
func TestActionPassesThePythonExample(t *testing.T) {
	needPython(t)
	server, err := filepath.Abs(filepath.Join("..", "..", "examples", "python", "server.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := runAction(t, map[string]string{
		"INPUT_SERVER_CMD": "python3 " + server + " --tcp {tcp} --udp {udp}",
		"INPUT_ARGS":       "--only TCP-ROUNDTRIP,TCP-EOF,UDP-ROUNDTRIP,UDP-EMPTY",
	})
	if r.code != exitPass {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitPass, r.log)
	}
	if !strings.Contains(r.summary, "| TCP-EOF |") || !strings.Contains(r.summary, "4 passed, 0 failed") {
		t.Errorf("job summary is not the report:\n%s", r.summary)
	}
	if !strings.Contains(r.outputs, "status=0\n") || !strings.Contains(r.outputs, "report=upcheck-report/conformance.json\n") {
		t.Errorf("outputs:\n%s", r.outputs)
	}
	for _, f := range []string{"conformance.json", "conformance.md"} {
		if _, err := os.Stat(filepath.Join(r.work, "upcheck-report", f)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
}

// TestActionFailsAWrongServer: a server that echoes without uppercasing
// fails the step with status 1, the failed requirement in the summary.
func TestActionFailsAWrongServer(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "echo.py")
	if err := os.WriteFile(script, []byte(echoPy), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runAction(t, map[string]string{
		"INPUT_SERVER_CMD":  "python3 " + script + " {tcp}",
		"INPUT_ARGS":        "--only TCP-BYTES",
		"INPUT_REPORT_NAME": "echo",
	})
	if r.code != exitFail {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitFail, r.log)
	}
	if !strings.Contains(r.summary, "| TCP-BYTES | MUST | **fail**") || !strings.Contains(r.outputs, "status=1\n") {
		t.Errorf("summary:\n%s\noutputs:\n%s", r.summary, r.outputs)
	}
	// The report named as a job of a matrix names it, for upcheck matrix
	// --from.
	if !strings.Contains(r.outputs, "report=upcheck-report/echo.json\n") {
		t.Errorf("outputs:\n%s", r.outputs)
	}
	if _, err := os.Stat(filepath.Join(r.work, "upcheck-report", "echo.json")); err != nil {
		t.Errorf("report: %v", err)
	}
}

// TestActionWithoutServerCommand: an empty input, or a report name that is
// a path, is one line and status 2.
func TestActionWithoutServerCommand(t *testing.T) {
	r := runAction(t, map[string]string{"INPUT_SERVER_CMD": ""})
	if r.code != exitUsage || !strings.Contains(r.log, "server-cmd input is empty") {
		t.Errorf("exit %d, want %d and a line about server-cmd\n%s", r.code, exitUsage, r.log)
	}
	r = runAction(t, map[string]string{"INPUT_SERVER_CMD": "x {tcp}", "INPUT_REPORT_NAME": "a/b"})
	if r.code != exitUsage || !strings.Contains(r.log, `report-name input "a/b" has a slash`) {
		t.Errorf("exit %d, want %d and a line about report-name\n%s", r.code, exitUsage, r.log)
	}
}

// TestReadmeUsesTheActionsInputs: every input the README's workflows give
// the action (under "with:" after "uses: upcheck/upcheck@") is an input of
// action.yml.
func TestReadmeUsesTheActionsInputs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	_, inputs, _ := strings.Cut(string(action), "\ninputs:\n")
	inputs, _, _ = strings.Cut(inputs, "\noutputs:\n")
	declared := map[string]bool{}
	for _, l := range strings.Split(inputs, "\n") {
		if name, ok := strings.CutSuffix(l, ":"); ok && strings.HasPrefix(name, "  ") && !strings.HasPrefix(name, "   ") {
			declared[strings.TrimSpace(name)] = true
		}
	}
	if !declared["server-cmd"] || !declared["report-name"] {
		t.Fatalf("no inputs read from action.yml: %v", declared)
	}
	lines := strings.Split(string(readme), "\n")
	uses := 0
	for i, l := range lines {
		if !strings.Contains(l, "uses: upcheck/upcheck@") {
			continue
		}
		uses++
		indent := len(l) - len(strings.TrimLeft(l, " -"))
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "with:" {
			continue
		}
		for _, w := range lines[i+2:] {
			if len(w)-len(strings.TrimLeft(w, " ")) <= indent || strings.TrimLeft(w, " ")[0] == '-' {
				break
			}
			key, _, _ := strings.Cut(strings.TrimSpace(w), ":")
			if !strings.HasPrefix(key, "#") && !declared[key] {
				t.Errorf("README.md gives the action the input %q, which action.yml does not declare", key)
			}
		}
	}
	if uses < 2 {
		t.Errorf("README.md uses the action %d times, want the single check and the matrix", uses)
	}
}
