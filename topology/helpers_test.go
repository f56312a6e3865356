package topology_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

// sp describes one span for a test; times are milliseconds from an epoch.
type sp struct {
	trace, id, parent string // short names, hashed into IDs
	svc, name         string
	kind              ptrace.SpanKind
	start, dur        float64
	attrs             map[string]any
	status            ptrace.StatusCode
	links             [][2]string // trace, span
}

const epochNS = 1_700_000_000_000_000_000

func traceID(s string) pcommon.TraceID {
	var id pcommon.TraceID
	copy(id[:], padID(s, 16))
	return id
}

func spanID(s string) pcommon.SpanID {
	var id pcommon.SpanID
	if s == "" {
		return id
	}
	copy(id[:], padID(s, 8))
	return id
}

func padID(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	b[n-1] |= 1 // never all zero
	return b
}

// batch puts the spans into one ptrace.Traces, one ResourceSpans per span
// so services mix freely.
func batch(spans ...sp) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range spans {
		rs := td.ResourceSpans().AppendEmpty()
		if s.svc != "" {
			rs.Resource().Attributes().PutStr("service.name", s.svc)
		}
		out := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		out.SetTraceID(traceID(s.trace))
		out.SetSpanID(spanID(s.id))
		out.SetParentSpanID(spanID(s.parent))
		out.SetName(s.name)
		out.SetKind(s.kind)
		start := uint64(epochNS) + uint64(s.start*1e6)
		out.SetStartTimestamp(pcommon.Timestamp(start))
		out.SetEndTimestamp(pcommon.Timestamp(start + uint64(s.dur*1e6)))
		out.Status().SetCode(s.status)
		if err := out.Attributes().FromRaw(s.attrs); err != nil {
			panic(err)
		}
		for _, l := range s.links {
			link := out.Links().AppendEmpty()
			link.SetTraceID(traceID(l[0]))
			link.SetSpanID(spanID(l[1]))
		}
	}
	return td
}

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
