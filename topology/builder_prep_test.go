package topology_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

func TestAPreparedBatchAddedTwiceIsCaught(t *testing.T) {
	var in topology.Interner
	batch := topology.Batch{Traces: spantest.Batch(spantest.Span{Trace: "t", ID: "a", Svc: "web", Name: "GET /", Kind: ptrace.SpanKindServer, Dur: 1})}
	batch.Prepare(&in)
	b := topology.NewBuilder(topology.Options{})
	b.Add(batch)
	defer func() {
		if recover() == nil {
			t.Error("a prepared batch added twice was folded again from pooled memory")
		}
	}()
	b.Add(batch)
}
