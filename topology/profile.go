package topology

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
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
	self latency // own time
	all  traffic // the spans as they were: count, failures, duration
}

type gapProfile struct {
	calls  int64
	gapSum float64
	wire   latency
	// all is the calls as the caller saw them: the callee's span and the
	// wire time around it, which a client span's duration measures.
	all traffic
}

// traffic counts spans with their failures and durations.
type traffic struct {
	n, failed int64
	dur       latency
}

func newTraffic() traffic { return traffic{dur: newLatency()} }

func (c *traffic) add(s *span) { c.record(s.failed, s.durationMS()) }

func (c *traffic) record(failed bool, ms float64) {
	c.n++
	if failed {
		c.failed++
	}
	c.dur.add(ms)
}

func (c *traffic) merge(o traffic) {
	c.n += o.n
	c.failed += o.failed
	c.dur.merge(o.dur)
}

func newServiceProfile() *serviceProfile {
	return &serviceProfile{ops: map[string]*opProfile{}, served: newTraffic()}
}

func newOpProfile() *opProfile { return &opProfile{self: newLatency(), all: newTraffic()} }

func newGapProfile() *gapProfile { return &gapProfile{wire: newLatency(), all: newTraffic()} }

type entryProfile struct {
	traces, failed int64
	lat            latency
}

func newEntryProfile() *entryProfile { return &entryProfile{lat: newLatency()} }

// getOr returns m[k], made by mk and stored first if m lacks it.
func getOr[K comparable, V any](m map[K]*V, k K, mk func() *V) *V {
	v := m[k]
	if v == nil {
		v = mk()
		m[k] = v
	}
	return v
}

// example is a trace that shows a service's trouble well.
type example struct {
	trace string
	score float64
}

const maxExamples = 3

func newProfile(from, to time.Time, resolution time.Duration) *Profile {
	if resolution <= 0 {
		resolution = to.Sub(from) + time.Minute
	}
	return &Profile{From: from, To: to, bucket: resolution, buckets: map[int64]*bucket{}, active: map[int64]struct{}{}}
}

func newBucket() *bucket {
	return &bucket{services: map[string]*serviceProfile{}, edges: map[edgeName]*gapProfile{},
		shapes: newHandlerShapes(), entries: map[string]*entryProfile{}}
}

func (p *Profile) at(t time.Time) *bucket {
	k := int64(t.Sub(p.From) / p.bucket)
	b := getOr(p.buckets, k, newBucket)
	return b
}

// IncidentBuilder reads traces once into a graph and the profiles of a
// baseline and an incident window (either may be nil).
type IncidentBuilder struct {
	*Builder
	Baseline, Window *Profile
}

// NewIncidentBuilder profiles the traces that start in each range.
func NewIncidentBuilder(opt Options, baseline, window *[2]time.Time) *IncidentBuilder {
	ib := &IncidentBuilder{Builder: NewBuilder(opt)}
	if baseline != nil {
		ib.Baseline = newProfile(baseline[0], baseline[1], 0)
	}
	if window != nil {
		ib.Window = newProfile(window[0], window[1], time.Minute)
	}
	ib.also = func(t *openTrace) {
		if t.late {
			return
		}
		for _, p := range []*Profile{ib.Baseline, ib.Window} {
			if p != nil {
				p.add(t)
			}
		}
	}
	return ib
}

// add profiles one closed trace if it starts in the profile's range.
func (p *Profile) add(t *openTrace) {
	spans := t.spans
	if len(spans) == 0 {
		return
	}
	root := rootOf(spans)
	start := unixNano(spans[root].start)
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
	rs := &spans[root]
	b.entry(rs.service+": "+rs.op, rs)

	children := make([][]int, len(spans))
	parent := make([]int, len(spans))
	tr := tree{first: map[pcommon.SpanID]int{}}
	tr.index(spans)
	for i := range spans {
		parent[i] = -1
		if pi, ok := tr.parentOf(&spans[i]); ok && pi != i {
			children[pi] = append(children[pi], i)
			parent[i] = pi
		}
	}
	traceID := t.id.String()
	b.shapes.addTrace(spans, parent, children, traceID)
	for i := range spans {
		var siblings []int
		entering := true
		if parent[i] >= 0 {
			siblings = children[parent[i]]
			entering = spans[parent[i]].service != spans[i].service
		}
		b.addSpan(spans, i, append([]int(nil), children[i]...), siblings, traceID, entering)
	}
}

func (b *bucket) entry(name string, root *span) {
	e := getOr(b.entries, name, newEntryProfile)
	e.traces++
	if root.failed {
		e.failed++
	}
	e.lat.add(root.durationMS())
}

// addSpan records one span's own work, errors and the time its
// cross-service calls took on the wire: from the span's start (or the
// previous call's end) to the first call's start, and from each call's end
// to the next one's start or the span's end. That time is the edge's, so
// it is kept apart from the span's own work.
func (p *bucket) addSpan(spans []span, i int, kids, siblings []int, traceID string, entering bool) {
	s := &spans[i]
	sort.Slice(kids, func(a, b int) bool { return spans[kids[a]].start < spans[kids[b]].start })
	var busy intervals
	failedChild := false
	edgeTime := 0.0
	for j, k := range kids {
		c := &spans[k]
		failedChild = failedChild || c.failed
		busy.add(c.start, c.end)
		if c.service == s.service {
			continue
		}
		wire := 0.0
		if j == 0 && c.start > s.start {
			wire += float64(c.start-s.start) / 1e6
		}
		next := s.end
		for _, n := range kids[j+1:] {
			if spans[n].start >= c.end {
				next = min(next, spans[n].start)
				break
			}
		}
		if next > c.end {
			wire += float64(next-c.end) / 1e6
		}
		g := getOr(p.edges, edgeName{s.service, c.service}, newGapProfile)
		g.all.record(c.failed, c.durationMS()+wire)
		g.calls++
		g.gapSum += wire
		g.wire.add(wire)
		edgeTime += wire
	}
	// Work started after this span, beside it under the same parent, is
	// what it waited on (Spring Cloud Gateway's handler span ends when the
	// proxied call does), not its own.
	for _, k := range siblings {
		if k != i && spans[k].start > s.start {
			busy.add(spans[k].start, spans[k].end)
		}
	}
	self := max(0, s.durationMS()-busy.within(s.start, s.end)-edgeTime)
	// A call to something uninstrumented (a database, an external API) is
	// that node's work: its duration is all the traces see of it.
	node := s.service
	if calls(s.kind) && s.peer != nil && s.peer.name != s.service && len(kids) == 0 {
		node = s.peer.name
	}
	sp := getOr(p.services, node, newServiceProfile)
	if entering || node != s.service {
		sp.served.add(s)
	}
	sp.spans++
	sp.selfSum += self
	op := getOr(sp.ops, s.op, newOpProfile)
	op.all.add(s)
	op.self.add(self)
	own := s.failed && !failedChild
	if s.failed {
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

// rootOf picks the trace's root: the earliest span without a parent, or
// the earliest span when every parent is missing.
func rootOf(spans []span) int {
	root, found := 0, false
	for i := range spans {
		isRoot := spans[i].parent.IsEmpty()
		switch {
		case isRoot && (!found || spans[i].start < spans[root].start):
			root, found = i, true
		case !found && spans[i].start < spans[root].start:
			root = i
		}
	}
	return root
}

// merge sums the buckets that start in [from, to) into one.
func (p *Profile) merge(from, to time.Time) *bucket {
	out := newBucket()
	for k, b := range p.buckets {
		t := p.From.Add(time.Duration(k) * p.bucket)
		if t.Before(from) || !t.Before(to) {
			continue
		}
		out.add(b)
	}
	return out
}

func (out *bucket) add(b *bucket) {
	out.traces += b.traces
	for name, sp := range b.services {
		o := getOr(out.services, name, newServiceProfile)
		o.served.merge(sp.served)
		o.spans += sp.spans
		o.errors += sp.errors
		o.ownErrors += sp.ownErrors
		o.selfSum += sp.selfSum
		for _, ex := range sp.examples {
			o.keepExample(ex.trace, ex.score)
		}
		for opName, op := range sp.ops {
			oo := getOr(o.ops, opName, newOpProfile)
			oo.all.merge(op.all)
			oo.self.merge(op.self)
		}
	}
	for k, g := range b.edges {
		o := getOr(out.edges, k, newGapProfile)
		o.all.merge(g.all)
		o.calls += g.calls
		o.gapSum += g.gapSum
		o.wire.merge(g.wire)
	}
	out.shapes.merge(b.shapes)
	for k, e := range b.entries {
		o := getOr(out.entries, k, newEntryProfile)
		o.traces += e.traces
		o.failed += e.failed
		o.lat.merge(e.lat)
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
