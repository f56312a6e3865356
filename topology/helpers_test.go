package topology_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

// sp describes one span for a test.
type sp = spantest.Span

func batch(spans ...sp) ptrace.Traces { return spantest.Batch(spans...) }

// build folds batches (each a slice of spans) into a graph.
func build(t *testing.T, opt topology.Options, batches ...[]sp) *topology.Graph {
	t.Helper()
	b := topology.NewBuilder(opt)
	for _, spans := range batches {
		b.Add(topology.Batch{Traces: batch(spans...)})
	}
	return b.Finish()
}

// edges renders the graph's edges as "from -> to (kind)" for comparison.
func edges(g *topology.Graph) []string {
	var out []string
	for _, e := range g.Edges {
		out = append(out, e.From+" -> "+e.To+" ("+e.Kind+")")
	}
	return out
}

func edge(t *testing.T, g *topology.Graph, from, to string) topology.Edge {
	t.Helper()
	for _, e := range g.Edges {
		if e.From == from && e.To == to {
			return e
		}
	}
	t.Fatalf("no edge %s -> %s; edges: %v", from, to, edges(g))
	return topology.Edge{}
}

func node(t *testing.T, g *topology.Graph, name string) topology.Node {
	t.Helper()
	n, ok := g.Node(name)
	if !ok {
		var names []string
		for _, n := range g.Nodes {
			names = append(names, n.Name)
		}
		t.Fatalf("no node %q; nodes: %v", name, names)
	}
	return n
}

const (
	server   = ptrace.SpanKindServer
	client   = ptrace.SpanKindClient
	internal = ptrace.SpanKindInternal
	producer = ptrace.SpanKindProducer
	consumer = ptrace.SpanKindConsumer
	none     = ptrace.SpanKindUnspecified
)
