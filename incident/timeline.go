package incident

import (
	"math"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// bracket finds when the entry points' users first saw the incident, when
// it was worst, and when it ended: the first minute whose failure ratio or
// p95 leaves the baseline's range, the worst minute, and the first minute
// after the peak that is back in range and stays there.
func (a *Analysis) bracket(base *bucket, times []time.Time, buckets []*bucket) {
	var fail, total int64
	all := topology.NewLatency()
	for _, e := range base.entries {
		fail += e.failed
		total += e.traces
		all.Merge(e.lat)
	}
	baseFail := float64(fail) / math.Max(float64(total), 1)
	baseP95 := all.Quantile(0.95)
	sev := func(i int) (float64, bool) {
		m := a.Minutes[i]
		if m.Requests == 0 {
			return 0, false
		}
		s := 0.0
		if f := float64(m.Failed) / float64(m.Requests); m.Failed > 0 && f > math.Max(2*baseFail, baseFail+0.02) {
			s += f / math.Max(baseFail, 0.001)
		}
		if baseP95 > 0 && m.P95MS > 1.5*baseP95 {
			s += m.P95MS / baseP95
		}
		return s, true
	}
	a.Start, a.Peak, a.End, a.Recovered = deviation(len(a.Minutes), sev, func(i int) time.Time { return a.Minutes[i].T })
}

// deviation walks a per-minute severity series: first deviating minute,
// worst minute, and the first clean minute after the last deviating one
// (recovered only if that comes before the series ends). Minutes without
// traffic say nothing either way: at low traffic the minutes after a fault
// may hold no request, and calling them "back to normal" would date the
// recovery too early.
func deviation(n int, sev func(int) (float64, bool), at func(int) time.Time) (first, peak, recovery time.Time, recovered bool) {
	var seen []int
	var score []float64
	for i := 0; i < n; i++ {
		if s, ok := sev(i); ok {
			seen, score = append(seen, i), append(score, s)
		}
	}
	worst := 0.0
	last := -1
	// A lone deviating minute is noise at low traffic: a minute counts
	// when the minute with traffic before or after it deviates too.
	counts := func(j int) bool {
		return score[j] > 0 && (j > 0 && score[j-1] > 0 || j+1 < len(score) && score[j+1] > 0)
	}
	for j := range seen {
		if !counts(j) {
			continue
		}
		if first.IsZero() {
			first = at(seen[j])
		}
		if score[j] > worst {
			worst, peak = score[j], at(seen[j])
		}
		last = j
	}
	if last < 0 {
		return
	}
	if last+1 < len(seen) {
		return first, peak, at(seen[last+1]), true
	}
	return first, peak, time.Time{}, false
}

// timeline places a suspect's own deviation in time, minute by minute,
// and keeps the signal its kind rests on as its series.
func (s *Suspect) timeline(base *bucket, times []time.Time, buckets []*bucket) {
	s.nameSeries(base)
	sev := make([]float64, len(buckets))
	seen := make([]bool, len(buckets))
	s.Series = make([]float64, len(buckets))
	for i, b := range buckets {
		s.Series[i] = s.value(b)
		sev[i], seen[i] = s.severity(b, s.Series[i])
	}
	s.FirstDeviation, s.Peak, s.Recovery, s.Recovered = deviation(len(buckets),
		func(i int) (float64, bool) { return sev[i], seen[i] }, func(i int) time.Time { return times[i] })
}

// severity is how far one minute of the suspect's own signal (its
// series) left the baseline, and whether the minute held any of it. The
// chart, the dates and the evidence then tell the same story.
func (s *Suspect) severity(b *bucket, v float64) (float64, bool) {
	if s.Kind == KindBehaviour {
		ms := b.services[s.Node]
		if ms == nil || ms.spans == 0 || s.shape == nil {
			return 0, false
		}
		return s.shape.minute(&b.shapes), true
	}
	if math.IsNaN(v) {
		return 0, false
	}
	ref := s.SeriesBaseline
	if math.IsNaN(ref) {
		ref = 0
	}
	switch {
	case s.Kind == KindErrors && v > 0 && v > math.Max(2*ref, ref+2):
		return v / math.Max(ref, 0.1), true
	case s.Kind == KindLatency && v > 1.5*ref+0.5:
		return v / math.Max(ref, 0.1), true
	}
	return 0, true
}

// nameSeries says what the suspect's series measures, and its baseline.
func (s *Suspect) nameSeries(base *bucket) {
	switch {
	case s.Kind == KindBehaviour && s.shape != nil:
		s.SeriesOf = s.shape.signal()
	case s.Kind == KindErrors:
		s.SeriesOf = Signal{Kind: SignalOwnErrors, Unit: UnitPercent}
	case s.selfOp != "":
		s.SeriesOf = Signal{Kind: SignalSelfTime, Operation: s.selfOp, Unit: UnitMS}
	default:
		s.SeriesOf = Signal{Kind: SignalWireTime, Unit: UnitMS}
	}
	s.SeriesBaseline = s.value(base)
}

// value is the suspect's signal in one bucket, NaN when it had no traffic:
// the share of requests taking its changed step (or the step's runs per
// request), its own errors per 100 requests it served (for a database or
// API, the calls to it), or the median own time of the operation that
// moved (else the wire time of calls to it).
func (s *Suspect) value(b *bucket) float64 {
	ms := b.services[s.Node]
	if ms == nil || ms.spans == 0 {
		return math.NaN()
	}
	switch {
	case s.Kind == KindBehaviour && s.shape != nil:
		v, ok := s.shape.value(&b.shapes)
		if !ok {
			return math.NaN()
		}
		if s.shape.repeats {
			return v
		}
		return 100 * v
	case s.Kind == KindErrors:
		return 100 * float64(ms.ownErrors) / math.Max(float64(ms.served.Calls), 1)
	}
	l := wireOf(b, s.Node)
	if s.selfOp != "" {
		l = selfOf(b, s.Node, s.selfOp)
	}
	if l.Empty() {
		return math.NaN()
	}
	return l.Quantile(0.5)
}

// selfOf is the own time of one of a node's operations; empty when it
// did not run.
func selfOf(b *bucket, node, op string) topology.Latency {
	if sp := b.services[node]; sp != nil {
		if o := sp.ops[op]; o != nil && !o.self.Empty() {
			return o.self
		}
	}
	return topology.NewLatency()
}

// wireOf is the wire time of every call to a node, whoever made it.
func wireOf(b *bucket, node string) topology.Latency {
	all := topology.NewLatency()
	for k, e := range b.edges {
		if k.to == node && !e.wire.Empty() {
			all.Merge(e.wire)
		}
	}
	return all
}
