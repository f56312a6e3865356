package incident

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// Analysis compares an incident window with a baseline.
type Analysis struct {
	Window, Baseline topology.Window
	// Traces in each; a baseline or window with none cannot be analysed.
	WindowTraces, BaselineTraces int64
	// Suspects are ranked by how much of the deviation each explains at its
	// own level, the deepest cause first among near ties.
	Suspects []Suspect
	Impact   IncidentImpact
	// Minutes is the entry points' series over the window and its lead-in,
	// one point per Step: a minute, or a longer step for a window over
	// two days (memory stays bounded), as for every suspect's Series.
	Minutes []Minute
	Step    time.Duration
	// Changes are the nodes, edges and operations whose rate, errors or
	// latency left the baseline's range, largest change first.
	Changes []Change
	// Start, Peak and End bracket the incident as the entry points saw it;
	// Recovered is false when it had not ended by the window's end.
	Start, Peak, End time.Time
	Recovered        bool
	// Differs are the attribute values over-represented among the
	// window's failing requests, most telling first.
	Differs []Finding
	// DetectedImpact is Impact over [DetectedFrom, DetectedTo), the
	// incident as the traces date it, when that is well inside the
	// requested window (nil otherwise): a long window dilutes it.
	DetectedImpact           *IncidentImpact
	DetectedFrom, DetectedTo time.Time
	// BaselineLeftOut are the baseline's stretches left out because the
	// entry points were failing or slow in them (an earlier incident).
	BaselineLeftOut []Outlier
}

// Suspect is a node whose own behaviour changed.
type Suspect struct {
	Node string
	// Score is its share of the explained deviation, 0 to 1.
	Score float64
	// Kind is the evidence behind the score: KindLatency, KindErrors or
	// KindBehaviour.
	Kind string
	// AddedMS is the latency its own work (and its late responses) added to
	// each request; OwnErrors its own errors per request, window and
	// baseline.
	AddedMS                      float64
	OwnErrors, BaselineOwnErrors float64
	Evidence                     []Evidence
	Examples                     []string
	// FirstDeviation, Peak and Recovery are minutes of its own series.
	FirstDeviation, Peak, Recovery time.Time
	Recovered                      bool
	// Series is its own signal per minute, aligned with Analysis.Minutes:
	// what SeriesOf names, NaN in minutes it had no traffic.
	// SeriesBaseline is the same signal over the baseline.
	Series         []float64
	SeriesOf       Signal
	SeriesBaseline float64
	// shape is the largest change in what its requests do, which dates a
	// behaviour suspect; selfOp is the operation whose own work moved
	// most, which a latency suspect's series follows.
	shape  *shapeChange
	selfOp string
}

// The kinds of evidence a suspect's score rests on.
const (
	KindLatency   = "latency"   // its own work or the calls to it slowed
	KindErrors    = "errors"    // it raised errors of its own
	KindBehaviour = "behaviour" // what its requests do changed: calls or steps appeared or vanished
)

// Minute is one minute of the entry points' traffic.
type Minute struct {
	T                      time.Time
	Requests, Failed, Slow int64
	P95MS                  float64
}

// IncidentImpact counts what the entry points' users saw in the window.
type IncidentImpact struct {
	Requests, Failed, Slow int64
	EntryPoints            []EntryImpact
}

// EntryImpact is one entry point's requests in the window. Slow requests
// took longer than the entry point's baseline p99.
type EntryImpact struct {
	Name                         string
	Requests, Failed, Slow       int64
	BaselineP99MS, WindowP99MS   float64
	BaselineFailRatio, FailRatio float64
}

// ErrEmptyProfile says a window or baseline holds no traces.
var ErrEmptyProfile = fmt.Errorf("no traces")

// Analyze compares the incident window [start, end) of the window profile
// with the baseline. The window profile may reach beyond the window: the
// minutes before and after it are the timeline's lead-in and tail.
func Analyze(base, win *Profile, start, end time.Time) (*Analysis, error) {
	a := &Analysis{Window: topology.Window{Start: start, End: end}, Baseline: seen(base), Step: win.bucket}
	b, outliers := cleanBaseline(base)
	a.BaselineLeftOut = outliers
	w := win.merge(start, end)
	a.BaselineTraces, a.WindowTraces = b.traces, w.traces
	if w.traces == 0 {
		return nil, fmt.Errorf("window %s–%s: %w", fmtT(start), fmtT(end), ErrEmptyProfile)
	}
	if b.traces == 0 {
		return nil, fmt.Errorf("baseline %s–%s: %w", fmtT(base.From), fmtT(base.To), ErrEmptyProfile)
	}
	a.Suspects = rank(b, w)
	a.Differs = differs(b, w)
	a.Impact = impactOf(b, w)
	watched := math.Max(base.observedMinutes(base.From, base.To)-base.excludedMinutes(outliers), 1)
	a.Changes = changes(b, w, watchOf(b, w, watched, math.Max(end.Sub(start).Minutes(), 1)))
	times, buckets := win.series(win.From, win.To)
	a.Minutes = minutes(times, buckets)
	a.bracket(b, times, buckets)
	for i := range a.Suspects {
		a.Suspects[i].timeline(b, times, buckets)
	}
	// The top suspect's own series dates the incident more sharply than
	// the entry points, whose minutes mix every cause of slowness.
	if len(a.Suspects) > 0 && !a.Suspects[0].FirstDeviation.IsZero() {
		top := a.Suspects[0]
		a.Start, a.Peak, a.End, a.Recovered = top.FirstDeviation, top.Peak, top.Recovery, top.Recovered
	}
	if from, to, ok := a.detected(); ok {
		im := impactOf(b, win.merge(from, to))
		a.DetectedFrom, a.DetectedTo, a.DetectedImpact = from, to, &im
	}
	return a, nil
}

// detected is the incident as the traces date it, when that is clearly
// shorter than the requested window (by a quarter or more), inside it.
func (a *Analysis) detected() (time.Time, time.Time, bool) {
	if a.Start.IsZero() || !a.Recovered || !a.End.After(a.Start) {
		return time.Time{}, time.Time{}, false
	}
	from, to := a.Start, a.End
	if from.Before(a.Window.Start) {
		from = a.Window.Start
	}
	if to.After(a.Window.End) {
		to = a.Window.End
	}
	if !to.After(from) || to.Sub(from) > a.Window.End.Sub(a.Window.Start)*3/4 {
		return time.Time{}, time.Time{}, false
	}
	return from, to, true
}

// seen is the part of a profile's range that held traces, to the minute: a
// baseline read from files spans all time, its traces an hour.
func seen(p *Profile) topology.Window {
	if p.Traces == 0 {
		return topology.Window{Start: p.From, End: p.To}
	}
	from := p.First.Truncate(time.Minute)
	to := p.Last.Truncate(time.Minute).Add(time.Minute)
	if from.Before(p.From) {
		from = p.From
	}
	if to.After(p.To) {
		to = p.To
	}
	return topology.Window{Start: from, End: to}
}

func fmtT(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

// scores are one node's evidence, each kind as the size of its largest
// significant change (0 when none is significant).
type scores struct {
	lat, err, calls float64
	// selfShift and wireShift are the largest median shifts (ms) behind
	// the latency score, by where they were seen.
	selfShift, wireShift float64
	// selfOp is the operation whose own work moved most, with its window
	// and baseline medians.
	selfOp            string
	selfWin, selfBase float64
}

// shift scores a change in a latency distribution: how far the window's
// median moved past the baseline's, in units of the baseline's spread (its
// interquartile range, at least a tenth of the median or 50µs), times the
// square root of the evidence (capped, so volume alone cannot make noise
// significant). Under 20% of the baseline median is no shift at all.
func shift(win, base topology.Latency, n int64) float64 {
	if base.Empty() || win.Empty() {
		return 0
	}
	bm, wm := base.Quantile(0.5), win.Quantile(0.5)
	d := wm - bm
	if d <= 0.2*bm || d < 0.05 {
		return 0
	}
	spread := math.Max(base.Quantile(0.75)-base.Quantile(0.25), math.Max(0.1*bm, 0.05))
	return d / spread * math.Sqrt(math.Min(float64(n), 50))
}

// excess scores a count against the count the baseline's rate predicts:
// the probability of one at least that far from it under a Poisson law,
// turned into standard-normal units so it compares with the latency
// shifts. Exact for small counts, where two errors against an expected 0.02
// matter and a normal approximation would miss them.
func excess(observed, expected float64) float64 {
	expected = math.Max(expected, 0.01)
	k := math.Round(observed)
	var p float64
	switch {
	case k > expected:
		p = poissonUpper(k, expected)
	case k < expected:
		p = poissonLower(k, expected)
	default:
		return 0
	}
	return zOf(p)
}

// poissonUpper is P(X ≥ k), poissonLower P(X ≤ k), for X ~ Poisson(l),
// summed in log space; large counts use the normal approximation.
func poissonUpper(k, l float64) float64 {
	if k > 500 {
		return 0.5 * math.Erfc((k-0.5-l)/math.Sqrt(2*l))
	}
	return math.Max(0, 1-poissonLower(k-1, l))
}

func poissonLower(k, l float64) float64 {
	if k < 0 {
		return 0
	}
	if k > 500 {
		return 0.5 * math.Erfc((l-k-0.5)/math.Sqrt(2*l))
	}
	sum := 0.0
	for i := 0.0; i <= k; i++ {
		lg, _ := math.Lgamma(i + 1)
		sum += math.Exp(i*math.Log(l) - l - lg)
	}
	return math.Min(1, sum)
}

// zOf is the one-sided standard-normal score of a tail probability.
func zOf(p float64) float64 {
	if p <= 1e-300 {
		return 37
	}
	if p >= 0.5 {
		return 0
	}
	return math.Sqrt2 * math.Erfcinv(2*p) // Erfinv(1-2p) loses tiny p to rounding
}

// gated turns a significant shift into its size: the log of how many
// times the median grew. Ranking by size, once a change is significant,
// keeps a busy service's small steady drift (significant only because it
// has many spans) behind a quiet service's fault.
func gated(z float64, win, base topology.Latency) float64 {
	if z < minEvidence {
		return 0
	}
	const floor = 0.5 // ms
	return math.Log((win.Quantile(0.5) + floor) / (base.Quantile(0.5) + floor))
}

// A change needs a z-like score above this to count as evidence.
const minEvidence = 3

// logRatio is the log of how many times a rate grew, from k of n against
// bk of bn, smoothed so a zero in either does not run off to infinity.
func logRatio(k, n, bk, bn float64) float64 {
	return math.Log(((k + 0.5) / (n + 1)) / ((bk + 0.5) / (bn + 1)))
}

// rank scores every service of the window against the baseline: its own
// work (median self time per operation), the time calls to it spend on the
// wire (unless the caller's calls to everyone slowed alike, which is the
// caller's doing), its own errors, and what its requests do (steps and
// calls that appear or vanish). A change counts when its z-like score is
// significant; it then weighs by its size, as a log ratio, so the kinds of
// evidence compare.
func rank(base, win *bucket) []Suspect {
	tb, tw := float64(base.traces), float64(win.traces)
	per := map[string]*scores{}
	get := func(s string) *scores {
		if per[s] == nil {
			per[s] = &scores{}
		}
		return per[s]
	}
	for name, sp := range win.services {
		bs := base.services[name]
		for opName, op := range sp.ops {
			if bs == nil || bs.ops[opName] == nil {
				continue
			}
			z := gated(shift(op.self, bs.ops[opName].self, op.all.Calls), op.self, bs.ops[opName].self)
			if sc := get(name); z > sc.lat || z > 0 && z == sc.lat && opName < sc.selfOp {
				sc.lat = z
				sc.selfOp = opName
				sc.selfWin, sc.selfBase = op.self.Quantile(0.5), bs.ops[opName].self.Quantile(0.5)
				sc.selfShift = sc.selfWin - sc.selfBase
			}
		}
		expected := 0.0
		if bs != nil && bs.spans > 0 {
			expected = float64(bs.ownErrors) / float64(bs.spans) * float64(sp.spans)
		}
		if o := float64(sp.ownErrors); o > expected {
			if excess(o, expected) >= minEvidence {
				bo, bn := 0.0, 0.0
				if bs != nil {
					bo, bn = float64(bs.ownErrors), float64(bs.spans)
				}
				get(name).err = logRatio(o, float64(sp.spans), bo, bn)
			}
		}
	}
	wire := map[edgeName]float64{}
	for k, g := range win.edges {
		if bg := base.edges[k]; bg != nil {
			wire[k] = gated(shift(g.wire, bg.wire, g.calls), g.wire, bg.wire)
		}
	}
	for k, v := range wire {
		if v == 0 {
			continue
		}
		to := k.to
		if callerWide(wire, k) {
			to = k.from
		}
		if v > get(to).lat {
			get(to).lat = v
			get(to).wireShift = win.edges[k].wire.Quantile(0.5) - base.edges[k].wire.Quantile(0.5)
			get(to).selfShift = 0
			get(to).selfOp = ""
		}
	}
	changes := shapeChanges(&base.shapes, &win.shapes)
	for _, c := range changes {
		if c.z >= minEvidence && c.size() > get(c.step.svc).calls {
			get(c.step.svc).calls = c.size()
		}
	}
	explainSameDelay(per)
	var out []Suspect
	for name, s := range per {
		score := math.Max(s.lat, math.Max(s.err, s.calls))
		if score <= 0 {
			continue
		}
		sus := Suspect{Node: name, Score: score, Kind: KindLatency}
		switch score {
		case s.err:
			sus.Kind = KindErrors
		case s.calls:
			sus.Kind = KindBehaviour
		}
		sus.AddedMS = addedMS(base, win, name)
		sus.selfOp = s.selfOp
		if sp := win.services[name]; sp != nil {
			sus.OwnErrors = float64(sp.ownErrors) / tw
			for _, ex := range sortedExamples(sp.examples) {
				sus.Examples = append(sus.Examples, ex.trace)
			}
		}
		if bs := base.services[name]; bs != nil {
			sus.BaselineOwnErrors = float64(bs.ownErrors) / tb
		}
		sus.Evidence = evidence(base, win, name, s, changes)
		if sus.Kind == KindBehaviour {
			sus.shape = biggest(changes, name)
			if ex := shapeExamples(&win.shapes, changes, name); len(ex) > 0 {
				sus.Examples = ex
			}
		}
		out = append(out, sus)
	}
	total := 0.0
	for _, s := range out {
		total += s.Score
	}
	for i := range out {
		out[i].Score = math.Round(out[i].Score/total*1000) / 1000
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Node < out[j].Node
	})
	return deepestFirst(out, win)
}

// explainSameDelay discounts a self-time shift that equals another node's
// wire-time shift: one delay seen twice, from a caller whose call span has
// no traced server span under it (so the wait looks like its own work) and
// on the calls into the node that caused it.
func explainSameDelay(per map[string]*scores) {
	for _, a := range per {
		if a.selfShift <= 0 {
			continue
		}
		for _, b := range per {
			if b == a || b.wireShift <= 0 {
				continue
			}
			if math.Abs(a.selfShift-b.wireShift) <= 0.05*math.Max(a.selfShift, b.wireShift) && b.lat >= 0.5*a.lat {
				a.lat = math.Min(a.lat, b.lat*0.9)
			}
		}
	}
}

// callerWide says the caller's calls to most of its other callees slowed on
// the wire about as much: the caller (its CPU, its network) is the common
// factor, not this callee.
func callerWide(wire map[edgeName]float64, k edgeName) bool {
	var others []float64
	for e, v := range wire {
		if e.from == k.from && e.to != k.to {
			others = append(others, v)
		}
	}
	if len(others) < 2 {
		return false
	}
	sort.Float64s(others)
	return others[len(others)/2] >= 0.3*wire[k]
}

// addedMS is the latency a node's own work and wire time added per request.
func addedMS(base, win *bucket, name string) float64 {
	tb, tw := float64(base.traces), float64(win.traces)
	w, b := 0.0, 0.0
	if sp := win.services[name]; sp != nil {
		w += sp.selfSum / tw
	}
	if bs := base.services[name]; bs != nil {
		b += bs.selfSum / tb
	}
	for k, g := range win.edges {
		if k.to == name {
			w += g.gapSum / tw
		}
	}
	for k, g := range base.edges {
		if k.to == name {
			b += g.gapSum / tb
		}
	}
	return topology.RoundMS(math.Max(0, w-b))
}

func sortedExamples(ex []example) []example {
	out := append([]example(nil), ex...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].trace < out[j].trace
	})
	return out
}

// deepestFirst moves a suspect ahead of a caller that scores at most a
// little more: the caller's deviation is likely the callee's propagating.
func deepestFirst(s []Suspect, win *bucket) []Suspect {
	calls := func(a, b string) bool {
		_, ok := win.edges[edgeName{a, b}]
		return ok
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Score >= 0.8*s[j-1].Score && calls(s[j-1].Node, s[j].Node) && !shapeOnly(s[j]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// significantChanges are a node's significant shape changes, largest first.
func significantChanges(changes []shapeChange, name string) []shapeChange {
	var mine []shapeChange
	for _, c := range changes {
		if c.step.svc == name && c.z >= minEvidence {
			mine = append(mine, c)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].size() > mine[j].size() })
	return mine
}

// shapeExamples are traces that took the largest step a node's requests
// took more often than usual: they show the change, where a vanished step
// has nothing to show.
func shapeExamples(win *handlerShapes, changes []shapeChange, name string) []string {
	for _, c := range significantChanges(changes, name) {
		if c.window > c.expected && !c.repeats { // presence would show requests that ran it once too
			return win.examples[c.step]
		}
	}
	return nil
}

func biggest(changes []shapeChange, name string) *shapeChange {
	if mine := significantChanges(changes, name); len(mine) > 0 {
		return &mine[0]
	}
	return nil
}

func sortedEdges(m map[edgeName]*gapProfile) []edgeName {
	out := make([]edgeName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].from != out[j].from {
			return out[i].from < out[j].from
		}
		return out[i].to < out[j].to
	})
	return out
}

// shapeOnly says a suspect's only evidence is a change in what its
// requests do, which a caller sending different requests explains as
// well as a fault of its own: such a callee does not move ahead.
func shapeOnly(s Suspect) bool { return s.Kind == KindBehaviour }

// evidence is what changed in a service, with its numbers.
func evidence(base, win *bucket, name string, s *scores, changes []shapeChange) []Evidence {
	var out []Evidence
	tb, tw := float64(base.traces), float64(win.traces)
	sp, bs := win.services[name], base.services[name]
	if s.lat > 0 {
		if s.selfOp != "" {
			out = append(out, Evidence{Kind: EvidenceSelfTime, Operation: s.selfOp, Window: s.selfWin, Baseline: s.selfBase, Unit: UnitMS})
		}
		for _, k := range sortedEdges(win.edges) {
			g, bg := win.edges[k], base.edges[k]
			if k.to != name || g.calls == 0 || bg == nil || bg.calls == 0 || shift(g.wire, bg.wire, g.calls) < minEvidence {
				continue
			}
			out = append(out, Evidence{Kind: EvidenceWireTime, Caller: k.from, Window: g.wire.Quantile(0.5), Baseline: bg.wire.Quantile(0.5), Unit: UnitMS})
		}
		if added := addedMS(base, win, name); added > 0 {
			out = append(out, Evidence{Kind: EvidenceAddedTime, Window: added, Unit: UnitMS})
		}
	}
	if s.err > 0 && sp != nil {
		b := 0.0
		if bs != nil {
			b = float64(bs.ownErrors) / tb
		}
		out = append(out, Evidence{Kind: EvidenceOwnErrors, Count: sp.ownErrors, Window: float64(sp.ownErrors) / tw, Baseline: b, Unit: UnitPerRequest})
	}
	if s.calls > 0 {
		mine := significantChanges(changes, name)
		for _, c := range mine[:min(3, len(mine))] {
			out = append(out, c.evidence())
		}
	}
	return out
}

func impactOf(base, win *bucket) IncidentImpact {
	var im IncidentImpact
	names := make([]string, 0, len(win.entries))
	for n := range win.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := win.entries[n]
		ei := EntryImpact{Name: n, Requests: e.traces, Failed: e.failed, WindowP99MS: e.lat.Quantile(0.99)}
		if e.traces > 0 {
			ei.FailRatio = float64(e.failed) / float64(e.traces)
		}
		if b := base.entries[n]; b != nil {
			ei.BaselineP99MS = b.lat.Quantile(0.99)
			if b.traces > 0 {
				ei.BaselineFailRatio = float64(b.failed) / float64(b.traces)
			}
		}
		im.EntryPoints = append(im.EntryPoints, ei)
		im.Requests += ei.Requests
		im.Failed += ei.Failed
	}
	for i, ei := range im.EntryPoints {
		if ei.BaselineP99MS > 0 {
			im.EntryPoints[i].Slow = win.entries[ei.Name].lat.CountAbove(ei.BaselineP99MS)
			im.Slow += im.EntryPoints[i].Slow
		}
	}
	return im
}

// minutes is the entry points' series.
func minutes(times []time.Time, buckets []*bucket) []Minute {
	out := make([]Minute, len(buckets))
	for i, b := range buckets {
		all := topology.NewLatency()
		out[i].T = times[i]
		for _, e := range b.entries {
			out[i].Requests += e.traces
			out[i].Failed += e.failed
			all.Merge(e.lat)
		}
		out[i].P95MS = all.Quantile(0.95)
	}
	return out
}
