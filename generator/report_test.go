package generator_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// changedWeek is the demo week as the next week might show it: email is
// gone, a loyalty service has appeared behind checkout, and checkout fails
// twice as often.
func changedWeek(t *testing.T) (*topology.Graph, *topology.Graph) {
	t.Helper()
	read := func() *topology.Graph {
		g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(rbgen.DemoWeek)}, topology.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	old, cur := read(), read()
	cur.Nodes = slices.DeleteFunc(cur.Nodes, func(n topology.Node) bool { return n.Name == "email" })
	cur.Edges = slices.DeleteFunc(cur.Edges, func(e topology.Edge) bool { return e.To == "email" || e.From == "email" })
	for i := range cur.Nodes {
		if n := &cur.Nodes[i]; n.Name == "checkout" {
			n.Errors *= 2
			// A deploy on Thursday morning: 1.4.3 from then on.
			deploy := time.Date(2026, 11, 12, 10, 3, 0, 0, time.UTC)
			v := n.Versions[0]
			n.Versions = []topology.Version{v, {Version: "1.4.3", FirstSeen: deploy, LastSeen: v.LastSeen, Spans: v.Spans / 2, Requests: v.Requests / 2, Failed: 4}}
			n.Versions[0].LastSeen = deploy
		}
	}
	st := topology.Stats{Calls: 390, P50MS: 4, P99MS: 20}
	cur.Nodes = append(cur.Nodes, topology.Node{Name: "loyalty", Kind: topology.KindService, SpanKinds: []string{"SPAN_KIND_SERVER"}, Stats: st})
	cur.Edges = append(cur.Edges, topology.Edge{From: "checkout", To: "loyalty", Kind: "grpc", Stats: st})
	return old, cur
}

// TestTheReportListsEachChangeOnce compares the demo week with a changed
// one: the report names the new service and its dependency, the one gone,
// and the threshold that moved with checkout's doubled baseline, each once.
func TestTheReportListsEachChangeOnce(t *testing.T) {
	old, cur := changedWeek(t)
	cfg := &config.Config{}
	cfg.FillDefaults()
	got := generator.Compare(old, cur, cfg).Markdown()
	golden := filepath.Join("testdata", "report.md.golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, _ := os.ReadFile(golden)
	if got != string(want) {
		t.Errorf("report differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
	if again := generator.Compare(old, old, cfg); !again.Empty() || again.Markdown() != "## What changed in the system\n\nNothing changed since the last run.\n" {
		t.Errorf("the same week twice:\n%s", again.Markdown())
	}
}

// TestServiceOverridesSetSeverityAndThresholds gives checkout (the
// payments path, medium by its share of traffic) tier 1 and ad an explicit
// low severity, and checkout a lower error factor: the runbooks, their
// alerts and the rules file follow.
func TestServiceOverridesSetSeverityAndThresholds(t *testing.T) {
	old, _ := changedWeek(t)
	cfg, err := config.Parse("rbgen.yaml", []byte("services:\n  checkout:\n    tier: 1\n    thresholds: {error_factor: 20}\n  ad:\n    severity: low\n"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := generator.LoadTemplates("")
	p, err := generator.PlanRunbooks(old, generator.GenerateOptions{Dir: t.TempDir(), Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range p.Alerts {
		got[a.Name] = a.Rule.Labels["severity"] + " " + a.Rule.Annotations["summary"]
	}
	for name, want := range map[string]string{
		"CheckoutHighErrorRate": "critical checkout: error ratio above 25%",
		"CheckoutHighLatency":   "high ",
		"AdHighErrorRate":       "low ",
	} {
		if !strings.HasPrefix(got[name], want) {
			t.Errorf("%s: %q, want it to start with %q", name, got[name], want)
		}
	}
}
