package topology

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Options bound the builder's memory. The zero value takes the defaults.
type Options struct {
	// Horizon is how much trace time may pass without a new span before a
	// trace is closed. Exporters send each service's spans in their own
	// batches, seconds apart; 5 minutes leaves room for slow ones.
	Horizon time.Duration
	// MaxOpenSpans caps the spans held for open traces; past it the traces
	// that waited longest close early (counted as evicted).
	MaxOpenSpans int
	// MaxOperations caps the operations kept per node; the rest are folded
	// into one "(other)" operation so that unbounded span names (IDs in
	// URLs) cannot grow memory.
	MaxOperations int
	// MaxEntryPoints caps the entry points kept per node and overall.
	MaxEntryPoints int
	// MaxLinks caps the producer spans remembered for span links and the
	// consumers waiting for theirs.
	MaxLinks int
	// LinkWindow is how long (trace time) a producer span is remembered for
	// a consumer to link to it; later consumers are matched by destination.
	LinkWindow time.Duration
	// Environment, when set, keeps only the spans of that
	// deployment.environment.name (and those that name none); the graph
	// counts every environment's spans either way.
	Environment string
	// Aliases rename nodes, or merge them when the new name is taken: a
	// name or a glob pattern (path.Match) to the name to use.
	Aliases map[string]string
}

// Default limits.
const (
	DefaultHorizon        = 5 * time.Minute
	DefaultMaxOpenSpans   = 1 << 20
	DefaultMaxOperations  = 200
	DefaultMaxEntryPoints = 200
	DefaultMaxLinks       = 1 << 18
	DefaultLinkWindow     = time.Hour
	recentTraces          = 1 << 16
)

// OtherName collects what the caps fold away.
const OtherName = "(other)"

func (o Options) withDefaults() Options {
	if o.Horizon <= 0 {
		o.Horizon = DefaultHorizon
	}
	if o.MaxOpenSpans <= 0 {
		o.MaxOpenSpans = DefaultMaxOpenSpans
	}
	if o.MaxOperations <= 0 {
		o.MaxOperations = DefaultMaxOperations
	}
	if o.MaxEntryPoints <= 0 {
		o.MaxEntryPoints = DefaultMaxEntryPoints
	}
	if o.MaxLinks <= 0 {
		o.MaxLinks = DefaultMaxLinks
	}
	if o.LinkWindow <= 0 {
		o.LinkWindow = DefaultLinkWindow
	}
	return o
}

// Builder folds spans into a Graph. It is not safe for concurrent use: a
// source that fetches in parallel hands batches to it one at a time.
type Builder struct {
	opt   Options
	store *store
	acc   *accumulator
	mark  uint64 // watermark: the latest span end seen, in unix nanoseconds
	view  Trace
	// observers see every closed trace after the graph has.
	observers []func(*Trace)
	// envs counts spans by environment, "" for none.
	envs map[string]int64
	// strings owns the strings of batches that arrive unprepared.
	strings Interner
}

// NewBuilder returns an empty builder.
func NewBuilder(opt Options) *Builder {
	opt = opt.withDefaults()
	// Late spans are recognised for as long as a linked consumer may come.
	st := newStore(recentTraces, uint64(opt.Horizon+opt.LinkWindow))
	return &Builder{opt: opt, store: st, acc: newAccumulator(opt), envs: map[string]int64{}}
}

// Add takes one batch of spans. Traces it completes (by the horizon, or all
// of them for a Whole batch) are folded into the graph and forgotten.
func (b *Builder) Add(batch Batch) {
	batch.Prepare(&b.strings)
	p := batch.prepared()
	ids := b.addSpans(p, batch.Whole)
	p.release()
	for _, id := range ids {
		if t, ok := b.store.open[id]; ok {
			b.close(t)
		}
	}
	b.expire()
}

// addSpans files every span of p; with whole set it returns the IDs of the
// traces in p, which are complete.
func (b *Builder) addSpans(p *prepared, whole bool) []pcommon.TraceID {
	var ids []pcommon.TraceID
	for i := range p.resources {
		pr := &p.resources[i]
		env := b.countEnv(pr.env, pr.n)
		if b.opt.Environment != "" && env != "" && env != b.opt.Environment {
			continue
		}
		var ver *versionAcc
		var wl *workloadAcc
		var res *attrSet
		for j := pr.first; j < pr.first+pr.n; j++ {
			ps := &p.spans[j]
			sp := &ps.sp
			b.acc.seeSpan(sp)
			if j == pr.first {
				ver, wl = b.acc.release(sp.Service, &pr.release)
				res = b.acc.intern(b.acc.resources, p.list(pr.res), p.key(pr.res), maxResources)
			}
			sp.ver, sp.wl, sp.res = ver, wl, res
			if receives(sp.Kind) || sp.Kind == ptrace.SpanKindUnspecified {
				sp.tags = b.acc.intern(b.acc.tagSets, p.list(ps.tags), p.key(ps.tags), maxTagSets)
			}
			if ver != nil {
				ver.see(sp)
			}
			if wl != nil {
				wl.see(sp)
			}
			if sp.End > b.mark {
				b.mark = sp.End
			}
			if whole && (len(ids) == 0 || ids[len(ids)-1] != ps.trace) {
				ids = append(ids, ps.trace)
			}
			b.store.add(ps.trace, sp, b.mark)
		}
	}
	return ids
}

// maxEnvironments bounds the environments counted; the rest are one.
const maxEnvironments = 100

// countEnv counts n spans under env and returns the name they are
// counted under.
func (b *Builder) countEnv(env string, n int) string {
	if _, ok := b.envs[env]; !ok && len(b.envs) >= maxEnvironments {
		env = OtherName
	}
	b.envs[env] += int64(n)
	return env
}

// expire closes the traces that have waited a horizon for a span, then as
// many of the longest-waiting as it takes to get under the span cap.
func (b *Builder) expire() {
	horizon := uint64(b.opt.Horizon)
	for t := b.store.oldest(); t != nil && t.lastMark+horizon < b.mark; t = b.store.oldest() {
		b.close(t)
	}
	for b.store.openSpans > b.opt.MaxOpenSpans {
		b.acc.evicted++
		b.close(b.store.oldest())
	}
}

func (b *Builder) close(t *openTrace) {
	if t == nil {
		return
	}
	if _, ok := b.store.open[t.id]; !ok {
		return
	}
	b.store.remove(t, b.mark)
	b.view.resolve(t.id, t.spans, t.late)
	b.acc.fold(&b.view, b.mark)
	for _, fn := range b.observers {
		fn(&b.view)
	}
	b.view.Spans = nil
	b.store.recycle(t.spans)
	t.spans = nil
}

// Observe has fn called with every trace the builder closes, after the
// graph has taken it: an incident profile reads the same view of each trace
// as the graph. The Trace is only valid during the call.
func (b *Builder) Observe(fn func(*Trace)) {
	b.observers = append(b.observers, fn)
}

// Finish closes every open trace and returns the graph. The builder must not
// be used afterwards.
func (b *Builder) Finish() *Graph {
	for t := b.store.oldest(); t != nil; t = b.store.oldest() {
		b.close(t)
	}
	g := b.acc.graph()
	for env, n := range b.envs {
		if env != "" {
			if g.Environments == nil {
				g.Environments = map[string]int64{}
			}
			g.Environments[env] = n
		}
	}
	g.Environment = b.opt.Environment
	return g
}

// Read streams a whole source into the builder and returns the graph.
func (b *Builder) Read(ctx context.Context, src Source) (*Graph, error) {
	err := src.Stream(ctx, func(batch Batch) error {
		b.Add(batch)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Finish(), nil
}

// Build reads a whole source into a new builder's graph.
func Build(ctx context.Context, src Source, opt Options) (*Graph, error) {
	return NewBuilder(opt).Read(ctx, src)
}
