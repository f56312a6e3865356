package topology

import (
	"context"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Batch is one unit of spans from a Source.
type Batch struct {
	// Traces holds the spans. The builder copies what it needs, so the
	// source may reuse or drop it once the callback returns.
	Traces ptrace.Traces
	// Records holds spans a lean decoder read, folded after Traces.
	Records []ResourceRecords
	// Whole says the batch carries every span of each trace in it (a trace
	// fetched by ID), so the builder can close those traces at once instead
	// of waiting for the horizon.
	Whole bool
	// prep is the batch read for folding (see Prepare), from the pool
	// generation prepGen.
	prep    *prepared
	prepGen uint64
}

// Source streams spans, one batch at a time. Files, directories and a Tempo
// server are sources; every command that reads traces takes any of them.
type Source interface {
	// Stream calls fn for each batch until the source is exhausted, fn
	// returns an error, or ctx is done.
	Stream(ctx context.Context, fn func(Batch) error) error
}
