package generator_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
		if cur.Nodes[i].Name == "checkout" {
			cur.Nodes[i].Errors *= 2
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
