package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// runCmd runs rbgen with args as a user would, and returns exit code,
// stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		now: func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }, getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}

func TestFlagErrors(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"graph without a source says how to give one", []string{"graph"}, "give --input PATH"},
		{"an unknown format lists the known ones", []string{"graph", "--demo", "--format", "svg"}, "want json, mermaid or dot"},
		{"--demo and --input together are refused", []string{"graph", "--demo", "-i", "x.jsonl"}, "alternatives"},
		{"an unknown flag points at --help", []string{"graph", "--bogus"}, "rbgen graph --help"},
		{"a missing input file is named", []string{"graph", "-i", "nope.jsonl"}, "nope.jsonl: no such file"},
		{"demo needs --out", []string{"demo"}, "--out is required"},
		{"a demo fault on a node the shop lacks names the ones it has", []string{"demo", "--days", "1", "--out", "-",
			"--fault", "node=postgres,start=2026-11-09T14:00:00Z,end=2026-11-09T15:00:00Z,latency=1s"}, "one of ad, api.stripe.com"},
		{"an unknown --stats lists the known ones", []string{"graph", "--demo", "--stats", "exact"}, "want auto, tempo-metrics or traces"},
		{"files have no TraceQL metrics", []string{"graph", "--demo", "--stats", "tempo-metrics"}, "--stats tempo-metrics needs --tempo"},
		{"two sources of numbers are refused", []string{"graph", "--tempo", "127.0.0.1:1", "--stats", "tempo-metrics", "--prometheus", "http://127.0.0.1:1"}, "alternatives"},
		{"a negative --rare is refused", []string{"demo", "--out", "-", "--rare", "-1"}, "--rare: want a count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, c.wantErr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", stderr, c.wantErr)
			}
		})
	}
}

// TestAPrometheusThatIsDownSaysSo: numbers asked of a Prometheus that is
// not there end the run with the address, and exit 4 like a Tempo that
// is down, rather than numbers from the traces passed off as exact.
func TestAPrometheusThatIsDownSaysSo(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "graph", "--demo", "--prometheus", "http://127.0.0.1:1")
	if code != exitSource || stdout != "" || !strings.Contains(stderr, "cannot query prometheus at http://127.0.0.1:1 (is it running") {
		t.Errorf("exit %d, stdout %d bytes, stderr %q", code, len(stdout), stderr)
	}
}

func TestGraphOfTheDemoWeek(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "graph", "--demo")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var g topology.Graph
	if err := json.Unmarshal([]byte(stdout), &g); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	services := 0
	for _, n := range g.Nodes {
		if n.Kind == topology.KindService {
			services++
		}
	}
	kinds := map[string]bool{}
	for _, n := range g.Nodes {
		kinds[n.Kind] = true
	}
	if services != 12 || !kinds["database"] || !kinds["cache"] || !kinds["external"] || !kinds["user"] {
		t.Errorf("%d services, kinds %v", services, kinds)
	}
	if !strings.Contains(stderr, "read 54156 spans in 4105 traces") {
		t.Errorf("stderr %q does not say what was read", stderr)
	}
}

func TestInputsFromArgumentsAndStdin(t *testing.T) {
	dir := t.TempDir()
	var week bytes.Buffer
	if code, _, stderr := runCmdTo(t, &week, "demo", "--days", "1", "--out", "-"); code != 0 {
		t.Fatal(stderr)
	}
	p := filepath.Join(dir, "day.jsonl")
	os.WriteFile(p, week.Bytes(), 0o644)
	code, fromFile, _ := runCmd(t, "", "graph", "-f", "mermaid", p)
	code2, fromStdin, _ := runCmd(t, week.String(), "graph", "-f", "mermaid", "--input", "-")
	if code != 0 || code2 != 0 || fromFile != fromStdin || !strings.HasPrefix(fromFile, "flowchart LR") {
		t.Errorf("file and stdin disagree or failed (%d, %d)", code, code2)
	}
}

func runCmdTo(t *testing.T, out *bytes.Buffer, args ...string) (int, string, string) {
	t.Helper()
	var errOut bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: out, stderr: &errOut, now: time.Now, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

func TestBadFilesExitTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.jsonl")
	os.WriteFile(garbage, []byte("\x00\x01\x02 definitely not traces"), 0o644)
	demoGz, _ := os.ReadFile("../../testdata/demo-week.otlp.jsonl.gz")
	truncated := filepath.Join(dir, "truncated.jsonl.gz")
	os.WriteFile(truncated, demoGz[:len(demoGz)/3], 0o644)
	for _, p := range []string{garbage, truncated} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", "graph", "-i", p)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d with output %q", code, stdout)
			}
			if !strings.HasPrefix(stderr, "rbgen: "+p) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line naming the file", stderr)
			}
		})
	}
}

func TestSkipBadReportsWhatItSkipped(t *testing.T) {
	var week bytes.Buffer
	runCmdTo(t, &week, "demo", "--days", "1", "--out", "-")
	lines := strings.SplitAfter(week.String(), "\n")
	lines[3] = "{broken\n"
	code, _, stderr := runCmd(t, strings.Join(lines, ""), "graph", "--skip-bad", "-i", "-")
	if code != 0 || !strings.Contains(stderr, "skipped 1 malformed record") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestHelpAndCompletion(t *testing.T) {
	code, stdout, _ := runCmd(t, "", "graph", "--help")
	if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--input PATH") {
		t.Errorf("graph --help:\n%s", stdout)
	}
	code, stdout, _ = runCmd(t, "", "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "bash completion") {
		t.Errorf("completion bash: exit %d", code)
	}
}
