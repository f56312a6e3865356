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
			for _, line := range strings.Split(stderr, "\n") {
				// Most datasets are minutes long, and Zipkin's nearly a year: both rightly warned of.
				if strings.Contains(line, "warning") && !strings.Contains(line, "warning: the traces cover ") {
					t.Errorf("unexpected warning: %s", line)
				}
			}
		})
	}
}

// TestShortCorporaSayHowShortTheyAre generates the runbooks of two real
// datasets as a user would: Robot Shop's ten minutes are named as ten
// minutes, and HotROD's 14 traces set no threshold alert and say why.
func TestShortCorporaSayHowShortTheyAre(t *testing.T) {
	const corpus = "../../../shared/corpus"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found at %s: the real-trace tests need ../shared next to the repository", corpus)
	}
	generate := func(t *testing.T, file string) (map[string]string, string) {
		dir := t.TempDir()
		code, _, stderr := runCmd(t, "", "generate", "--input", filepath.Join(corpus, file), "--out", dir)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		docs := map[string]string{}
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, n := range names {
			b, _ := os.ReadFile(n)
			docs[filepath.Base(n)] = string(b)
		}
		return docs, stderr
	}
	t.Run("Robot Shop's runbooks name the 10 minutes observed", func(t *testing.T) {
		docs, stderr := generate(t, "robotshop_otel/robotshop.otlp.jsonl")
		if !strings.Contains(stderr, "warning: the traces cover only 10 min (2026-01-12 13:55 – 2026-01-12 14:05 UTC)") {
			t.Errorf("no warning that ten minutes is short: %s", stderr)
		}
		runbooks := 0
		for name, body := range docs {
			if !strings.HasPrefix(name, "RB-") {
				continue
			}
			runbooks++
			if !strings.Contains(body, "Numbers: counted in the 2416 traces read over 2026-01-12 13:55 – 2026-01-12 14:05 UTC (10 min observed)") {
				t.Errorf("%s does not name the period observed", name)
			}
			for _, wrong := range []string{"last week", "a week", "7 days"} {
				if strings.Contains(body, wrong) {
					t.Errorf("%s says %q of ten minutes", name, wrong)
				}
			}
		}
		if runbooks == 0 {
			t.Fatal("no runbooks")
		}
		if !strings.Contains(docs["README.md"], "| 2416 traces |") {
			t.Error("the index does not say where the numbers came from")
		}
	})
	t.Run("HotROD's 14 traces set no threshold and say why", func(t *testing.T) {
		docs, _ := generate(t, "hotrod_jaeger/hotrod.otlp.jsonl")
		if strings.Contains(docs["rbgen-alerts.yaml"], "alert:") {
			t.Errorf("alerts from 14 traces:\n%s", docs["rbgen-alerts.yaml"])
		}
		for name, body := range docs {
			if strings.HasPrefix(name, "RB-") && !strings.Contains(body, "**No alert: too little traffic to set a threshold** (") {
				t.Errorf("%s does not say why it has no alert", name)
			}
		}
	})
}
