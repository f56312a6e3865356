package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/topology"
)

// TestGraphOnEveryCorpusDataset runs the command a user would run on each
// real dataset. The edges themselves are checked against the profiles in
// the topology package; here the whole command must succeed and agree with
// the profile's trace and span counts.
func TestGraphOnEveryCorpusDataset(t *testing.T) {
	const corpus = "../../../shared/corpus"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s: the real-trace tests need ../shared next to the repository", corpus)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "*", "*.otlp.jsonl*"))
	nested, _ := filepath.Glob(filepath.Join(corpus, "*", "*", "*.otlp.jsonl*"))
	files = append(files, nested...)
	if len(files) < 7 {
		t.Fatalf("found %d corpus files, want at least 7", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", "graph", "--input", f)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var g topology.Graph
			if err := json.Unmarshal([]byte(stdout), &g); err != nil {
				t.Fatal(err)
			}
			var prof struct{ Traces, Spans int64 }
			raw, err := os.ReadFile(strings.TrimSuffix(strings.TrimSuffix(f, ".gz"), ".otlp.jsonl") + ".profile.json")
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(raw, &prof)
			if g.Traces != prof.Traces || g.Spans != prof.Spans || len(g.Edges) == 0 {
				t.Errorf("%d traces, %d spans, %d edges; profile says %d traces, %d spans",
					g.Traces, g.Spans, len(g.Edges), prof.Traces, prof.Spans)
			}
			if strings.Contains(stderr, "warning") {
				t.Errorf("unexpected warning: %s", stderr)
			}
		})
	}
}
