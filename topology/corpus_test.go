package topology_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// corpusDir holds real traces from real systems, outside the repository.
const corpusDir = "../../shared/corpus"

// profile is the part of a corpus *.profile.json the graph must agree with.
type profile struct {
	Traces          int64            `json:"traces"`
	Spans           int64            `json:"spans"`
	Orphans         int64            `json:"orphan_spans_parent_missing"`
	SpansPerService map[string]int64 `json:"spans_per_service"`
	Edges           map[string]int64 `json:"edges"`
}

func corpusProfiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s: the real-trace tests need ../shared next to the repository", corpusDir)
	}
	profiles, err := filepath.Glob(filepath.Join(corpusDir, "*", "*.profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	nested, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.profile.json"))
	profiles = append(profiles, nested...)
	sort.Strings(profiles)
	if len(profiles) == 0 {
		t.Fatalf("no *.profile.json under %s", corpusDir)
	}
	return profiles
}

// dataFor finds the trace file a profile describes.
func dataFor(t *testing.T, prof string) string {
	t.Helper()
	base := strings.TrimSuffix(prof, ".profile.json")
	for _, ext := range []string{".otlp.jsonl", ".otlp.jsonl.gz"} {
		if _, err := os.Stat(base + ext); err == nil {
			return base + ext
		}
	}
	t.Fatalf("no trace file next to %s", prof)
	return ""
}

func buildFile(t testing.TB, path string) *topology.Graph {
	t.Helper()
	g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{path}}, topology.Options{})
	if err != nil {
		t.Fatalf("build %s: %v", path, err)
	}
	return g
}

// TestCorpusEdgesMatchProfiles checks every service-to-service edge against
// the profile computed independently from the same data: none missing, none
// invented. Edges to virtual nodes come on top, and so do network self-calls
// (Zipkin's datamgmt redirects to itself), which the profile's
// cross-service count leaves out by definition.
func TestCorpusEdgesMatchProfiles(t *testing.T) {
	for _, prof := range corpusProfiles(t) {
		name := strings.TrimSuffix(filepath.Base(prof), ".profile.json")
		t.Run(name, func(t *testing.T) {
			var p profile
			raw, err := os.ReadFile(prof)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			g := buildFile(t, dataFor(t, prof))
			if g.Spans != p.Spans || g.Traces != p.Traces || g.OrphanSpans != p.Orphans {
				t.Errorf("spans/traces/orphans = %d/%d/%d, profile says %d/%d/%d",
					g.Spans, g.Traces, g.OrphanSpans, p.Spans, p.Traces, p.Orphans)
			}
			// The profile counts names as the spans give them; the graph
			// merges some (Zipkin's stLogin and stlogin).
			services := map[string]bool{}
			for svc := range p.SpansPerService {
				services[g.Canonical(svc)] = true
			}
			want := map[string]int64{}
			for edge, calls := range p.Edges {
				from, to, _ := strings.Cut(edge, " -> ")
				if from, to = g.Canonical(from), g.Canonical(to); from != to {
					want[from+" -> "+to] += calls
				}
			}
			p.Edges = want
			got := map[string]int64{}
			for _, e := range g.Edges {
				if services[e.From] && services[e.To] && e.From != e.To {
					got[e.From+" -> "+e.To] = e.Calls
				}
			}
			for edge, calls := range p.Edges {
				if _, ok := got[edge]; !ok {
					t.Errorf("missing edge %s (%d calls in the profile)", edge, calls)
				} else if got[edge] < calls {
					t.Errorf("edge %s: %d calls, profile counts %d", edge, got[edge], calls)
				}
			}
			for edge := range got {
				if _, ok := p.Edges[edge]; !ok {
					t.Errorf("invented edge %s", edge)
				}
			}
			for svc := range services {
				if n, ok := g.Node(svc); !ok || n.Virtual {
					t.Errorf("service %s is not a service node", svc)
				}
			}
		})
	}
}
