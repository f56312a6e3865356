package incident

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// Profile is the evidence an incident analysis compares: per service, the
// time it spends on its own work, the errors it raises itself, the delays
// its responses add to its callers, and how many calls it makes, for the
// traces that start in [From, To), in buckets of time.
//
// Self time is a span's duration minus the time covered by its children,
// minus the gaps right after cross-service children return: a response
// that comes back late shows up in the caller as waiting after the child
// span ends, and that wait is the callee's doing (network delay on its
// side), not the caller's.
type Profile struct {
	From, To      time.Time
	Traces, Spans int64
	// First and Last are the earliest and latest trace starts profiled.
	First, Last time.Time
	// bucket is the series' resolution: a minute for an incident window,
	// the whole range for a baseline (memory then stays flat over a week).
	bucket  time.Duration
	buckets map[int64]*bucket
	// active holds the minutes (Unix time / 60) in which a trace started:
	// at most one entry per minute of the range.
	active map[int64]struct{}
}

// bucket is everything observed for the traces starting in one interval.
type bucket struct {
	traces   int64
	services map[string]*serviceProfile
	edges    map[edgeName]*gapProfile
	shapes   handlerShapes
	entries  map[string]*entryProfile
	dims     map[dimKey]*dimCount
}

type edgeName struct{ from, to string }

type serviceProfile struct {
	spans, errors, ownErrors int64
	selfSum                  float64
	ops                      map[string]*opProfile
	examples                 []example
	// served counts the requests the node handled (spans entering it from
	// another service or from nowhere, or calls to a database or API) and
	// how they went, for the rate, errors and latency a dashboard shows.
	served traffic
}

type opProfile struct {
	self topology.Latency // own time
	all  traffic          // the spans as they were: count, failures, duration
}

type gapProfile struct {
	calls  int64
	gapSum float64
	wire   topology.Latency
	// all is the calls as the caller saw them: the callee's span and the
	// wire time around it, which a client span's duration measures.
	all traffic
}

// traffic counts spans with their failures and durations, as the graph
// counts calls.
type traffic = topology.Tally

func newTraffic() traffic { return topology.NewTally() }

// addSpan counts one span in c.
func addSpan(c *traffic, s *topology.Span) { c.Add(s.DurationMS(), s.Failed) }

func newServiceProfile() *serviceProfile {
	return &serviceProfile{ops: map[string]*opProfile{}, served: newTraffic()}
}

func newOpProfile() *opProfile { return &opProfile{self: topology.NewLatency(), all: newTraffic()} }

func newGapProfile() *gapProfile { return &gapProfile{wire: topology.NewLatency(), all: newTraffic()} }

type entryProfile struct {
	traces, failed int64
	lat            topology.Latency
}

func newEntryProfile() *entryProfile { return &entryProfile{lat: topology.NewLatency()} }

// getOr returns m[k], made by mk and stored first if m lacks it.
func getOr[K comparable, V any](m map[K]*V, k K, mk func() *V) *V {
	v := m[k]
	if v == nil {
		v = mk()
		m[k] = v
	}
	return v
}

// opKey is the name an operation is profiled under: its own, until a
// service has topology.DefaultMaxOperations of them (as the graph caps
// them), then topology.OtherName. A service that puts IDs in span names
// would otherwise grow a profile without bound.
func opKey(ops map[string]*opProfile, name string) string {
	if _, ok := ops[name]; ok || len(ops) < topology.DefaultMaxOperations {
		return name
	}
	return topology.OtherName
}

// example is a trace that shows a service's trouble well.
type example struct {
	trace string
	score float64
}

const maxExamples = 3

// maxSeriesBuckets bounds a profile's buckets: traffic in up to two days'
// worth of minutes is profiled minute by minute; past that the buckets
// double in length, merged pairwise, as often as it takes, so memory stays
// bounded however long the window (a bucket of a busy minute is tens of
// kilobytes).
const maxSeriesBuckets = 2880

func newProfile(from, to time.Time, resolution time.Duration) *Profile {
	if resolution <= 0 {
		resolution = to.Sub(from) + time.Minute
	}
	return &Profile{From: from, To: to, bucket: resolution, buckets: map[int64]*bucket{}, active: map[int64]struct{}{}}
}

func newBucket() *bucket {
	return &bucket{services: map[string]*serviceProfile{}, edges: map[edgeName]*gapProfile{},
		shapes: newHandlerShapes(), entries: map[string]*entryProfile{}, dims: map[dimKey]*dimCount{}}
}

func (p *Profile) at(t time.Time) *bucket {
	k := int64(t.Sub(p.From) / p.bucket)
	if _, ok := p.buckets[k]; !ok && len(p.buckets) >= maxSeriesBuckets {
		for len(p.buckets) >= maxSeriesBuckets/2 {
			p.coarsen()
		}
		k = int64(t.Sub(p.From) / p.bucket)
	}
	return getOr(p.buckets, k, newBucket)
}

// coarsen doubles the buckets' length, merging them pairwise.
func (p *Profile) coarsen() {
	merged := make(map[int64]*bucket, len(p.buckets)/2+1)
	for _, k := range slices.Sorted(maps.Keys(p.buckets)) {
		getOr(merged, k/2, newBucket).add(p.buckets[k])
	}
	p.buckets, p.bucket = merged, 2*p.bucket
}

// Builder reads traces once into a graph and the profiles of a baseline
// and an incident window (either may be nil).
type Builder struct {
	*topology.Builder
	Baseline, Window *Profile
}

// NewBuilder profiles the traces that start in each range.
func NewBuilder(opt topology.Options, baseline, window *[2]time.Time) *Builder {
	ib := &Builder{Builder: topology.NewBuilder(opt)}
	if baseline != nil {
		ib.Baseline = newProfile(baseline[0], baseline[1], BaselineStep)
	}
	if window != nil {
		ib.Window = newProfile(window[0], window[1], time.Minute)
	}
	ib.Observe(func(t *topology.Trace) {
		if t.Late {
			return
		}
		for _, p := range []*Profile{ib.Baseline, ib.Window} {
			if p != nil {
				p.add(t)
			}
		}
	})
	return ib
}

// add profiles one closed trace if it starts in the profile's range.
func (p *Profile) add(t *topology.Trace) {
	spans := t.Spans
	if len(spans) == 0 {
		return
	}
	start := time.Unix(0, int64(spans[t.StartSpan()].Start)).UTC()
	if start.Before(p.From) || !start.Before(p.To) {
		return
	}
	p.Traces++
	p.Spans += int64(len(spans))
	if p.First.IsZero() || start.Before(p.First) {
		p.First = start
	}
	if start.After(p.Last) {
		p.Last = start
	}
	p.active[start.Unix()/60] = struct{}{}
	b := p.at(start)
	b.traces++
	if t.Root >= 0 {
		rs := &spans[t.Root]
		b.entry(rs.Service+": "+rs.Op, rs)
	}
	traceID := t.ID.String()
	b.shapes.addTrace(t, traceID)
	for i := range spans {
		b.addSpan(t, i, traceID)
	}
}

func (b *bucket) entry(name string, root *topology.Span) {
	e := getOr(b.entries, name, newEntryProfile)
	e.traces++
	if root.Failed {
		e.failed++
	}
	e.lat.Add(root.DurationMS())
}

// addSpan records one span's own work, errors and the time its
// cross-service calls took on the wire: from the span's start (or the
// previous call's end) to the first call's start, and from each call's end
// to the next one's start or the span's end. That time is the edge's, so
// it is kept apart from the span's own work.
func (p *bucket) addSpan(t *topology.Trace, i int, traceID string) {
	spans := t.Spans
	s := &spans[i]
	kids := t.Children(i)
	var siblings []int
	if pi := t.Parent[i]; pi >= 0 {
		siblings = t.Children(pi)
	}
	var busy intervals
	failedChild := false
	edgeTime := 0.0
	for j, k := range kids {
		c := &spans[k]
		failedChild = failedChild || c.Failed
		busy.add(c.Start, c.End)
		if c.Service == s.Service {
			continue
		}
		wire := 0.0
		if j == 0 && c.Start > s.Start {
			wire += float64(c.Start-s.Start) / 1e6
		}
		// The next call is the first that starts after this one ends:
		// kids come in start order, so a binary search finds it.
		next := s.End
		rest := kids[j+1:]
		if n := sort.Search(len(rest), func(x int) bool { return spans[rest[x]].Start >= c.End }); n < len(rest) {
			next = min(next, spans[rest[n]].Start)
		}
		if next > c.End {
			wire += float64(next-c.End) / 1e6
		}
		g := getOr(p.edges, edgeName{s.Service, c.Service}, newGapProfile)
		g.all.Add(c.DurationMS()+wire, c.Failed)
		g.calls++
		g.gapSum += wire
		g.wire.Add(wire)
		edgeTime += wire
	}
	// Work started after this span, beside it under the same parent, is
	// what it waited on (Spring Cloud Gateway's handler span ends when the
	// proxied call does), not its own.
	// Siblings come in start order, and only those that start inside
	// this span can cover any of it. A fan-out of thousands of concurrent
	// siblings would make this quadratic: past maxSiblingScan of them the
	// span is taken as covered from there to its end.
	from := sort.Search(len(siblings), func(j int) bool { return spans[siblings[j]].Start > s.Start })
	for n, k := range siblings[from:] {
		if spans[k].Start >= s.End {
			break
		}
		if n == maxSiblingScan {
			busy.add(spans[k].Start, s.End)
			break
		}
		busy.add(spans[k].Start, spans[k].End)
	}
	self := max(0, s.DurationMS()-busy.within(s.Start, s.End)-edgeTime)
	// A call to something uninstrumented (a database, an external API) is
	// that node's work: its duration is all the traces see of it.
	node, callee := s.Service, t.Callee(i)
	if callee != nil {
		node = callee.Name
	}
	sp := getOr(p.services, node, newServiceProfile)
	if callee != nil {
		addSpan(&sp.served, s)
	}
	if t.Enters(i) {
		addSpan(&getOr(p.services, s.Service, newServiceProfile).served, s)
		p.countDims(s)
	}
	sp.spans++
	sp.selfSum += self
	op := getOr(sp.ops, opKey(sp.ops, s.Op), newOpProfile)
	addSpan(&op.all, s)
	op.self.Add(self)
	own := s.Failed && !failedChild
	if s.Failed {
		sp.errors++
	}
	if own {
		sp.ownErrors++
	}
	score := self
	if own {
		score += 1e6 // an error of its own shows the fault better than any delay
	}
	sp.keepExample(traceID, score)
}

// maxSiblingScan bounds the later siblings one span's own time is
// measured against; real fan-outs are far smaller.
const maxSiblingScan = 128

// intervals is a set of time ranges, for measuring how much of a span
// other spans cover.
type intervals [][2]uint64

func (iv *intervals) add(from, to uint64) {
	if to > from {
		*iv = append(*iv, [2]uint64{from, to})
	}
}

// within is the covered time inside [from, to), in milliseconds.
func (iv intervals) within(from, to uint64) float64 {
	sort.Slice(iv, func(a, b int) bool { return iv[a][0] < iv[b][0] })
	var total, end uint64
	end = from
	for _, r := range iv {
		lo, hi := max(r[0], end), min(r[1], to)
		if hi > lo {
			total += hi - lo
			end = hi
		}
	}
	return float64(total) / 1e6
}

func (sp *serviceProfile) keepExample(trace string, score float64) {
	for i := range sp.examples {
		if sp.examples[i].trace == trace {
			sp.examples[i].score = max(sp.examples[i].score, score)
			return
		}
	}
	if len(sp.examples) < maxExamples {
		sp.examples = append(sp.examples, example{trace, score})
	} else if low := lowest(sp.examples); better(example{trace, score}, sp.examples[low]) {
		sp.examples[low] = example{trace, score}
	}
}

// better orders examples totally (score, then trace ID), so the chosen
// ones do not depend on the order traces or buckets are merged in.
func better(a, b example) bool {
	return a.score > b.score || a.score == b.score && a.trace < b.trace
}

func lowest(ex []example) int {
	low := 0
	for i := range ex {
		if better(ex[low], ex[i]) {
			low = i
		}
	}
	return low
}

// merge sums the buckets whose middle lies in [from, to) into one: with
// minute buckets, exactly those that start in it (a window and its lead-in
// are whole minutes); with the coarser steps of a long window, each edge
// is counted to the nearest step.
func (p *Profile) merge(from, to time.Time) *bucket {
	out := newBucket()
	for k, b := range p.buckets {
		t := p.From.Add(time.Duration(k) * p.bucket)
		if p.bucket > time.Minute {
			t = t.Add(p.bucket / 2)
		}
		if t.Before(from) || !t.Before(to) {
			continue
		}
		out.add(b)
	}
	return out
}

func (out *bucket) add(b *bucket) { out.addRenamed(b, nil) }

// addRenamed adds b to out with every node name through canon (nil keeps
// them).
func (out *bucket) addRenamed(b *bucket, canon func(string) string) {
	same := canon == nil
	if same {
		canon = func(s string) string { return s }
	}
	out.traces += b.traces
	for k, d := range b.dims {
		k.service = canon(k.service)
		o := out.dims[k]
		if o == nil {
			o = &dimCount{}
			out.dims[k] = o
		}
		o.merge(d)
	}
	for name, sp := range b.services {
		o := getOr(out.services, canon(name), newServiceProfile)
		o.served.Merge(&sp.served)
		o.spans += sp.spans
		o.errors += sp.errors
		o.ownErrors += sp.ownErrors
		o.selfSum += sp.selfSum
		for _, ex := range sp.examples {
			o.keepExample(ex.trace, ex.score)
		}
		for opName, op := range sp.ops {
			oo := getOr(o.ops, opKey(o.ops, opName), newOpProfile)
			oo.all.Merge(&op.all)
			oo.self.Merge(op.self)
		}
	}
	for k, g := range b.edges {
		o := getOr(out.edges, edgeName{canon(k.from), canon(k.to)}, newGapProfile)
		o.all.Merge(&g.all)
		o.calls += g.calls
		o.gapSum += g.gapSum
		o.wire.Merge(g.wire)
	}
	if same {
		out.shapes.merge(b.shapes)
	} else {
		out.shapes.mergeRenamed(b.shapes, canon)
	}
	for k, e := range b.entries {
		if !same {
			k = renameEntry(k, canon)
		}
		o := getOr(out.entries, k, newEntryProfile)
		o.traces += e.traces
		o.failed += e.failed
		o.lat.Merge(e.lat)
	}
}

// series is the profile's buckets in [from, to), in time order.
func (p *Profile) series(from, to time.Time) ([]time.Time, []*bucket) {
	keys := make([]int64, 0, len(p.buckets))
	for k := range p.buckets {
		t := p.From.Add(time.Duration(k) * p.bucket)
		if !t.Before(from) && t.Before(to) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var ts []time.Time
	var bs []*bucket
	for _, k := range keys {
		ts = append(ts, p.From.Add(time.Duration(k)*p.bucket).UTC())
		bs = append(bs, p.buckets[k])
	}
	return ts, bs
}

// maxQuietGap is the longest run of minutes without a trace that still
// counts as watched: quiet traffic rather than no data at all.
const maxQuietGap = 10

// observedMinutes is how long the profile's traces were watched: the
// minutes that held a trace, plus the quiet minutes between them up to
// maxQuietGap. A baseline read from a few separate files spans days but
// was watched for minutes, and its rates must say so.
func (p *Profile) observedMinutes(from, to time.Time) float64 {
	lo, hi := from.Unix()/60, to.Add(-time.Nanosecond).Unix()/60
	ms := make([]int64, 0, len(p.active))
	for m := range p.active {
		if m >= lo && m <= hi {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	total := 0.0
	for i, m := range ms {
		total++
		if i > 0 {
			if gap := m - ms[i-1] - 1; gap <= maxQuietGap {
				total += float64(gap)
			}
		}
	}
	return total
}
