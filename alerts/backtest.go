package alerts

import (
	"math"
	"sort"
	"time"
)

// Cell is one step of a node's series: the calls that ended in it, the
// failed ones, and their durations counted into the target's buckets
// (Hist[i] counts calls at or under Buckets[i]; the last entry counts the
// rest, the +Inf bucket without the ones below it).
type Cell struct {
	At     int64 // step number: Unix time / step
	Calls  uint32
	Errors uint32
	Hist   []uint32
}

// Series is a node's calls over time as span metrics would count them, in
// steps of Step, cells sorted by At, steps without calls left out.
type Series struct {
	Step  time.Duration
	Cells []Cell
}

// Firing is one period an alert would have fired: from the evaluation at
// which its condition had held for the rule's `for`, to the first one at
// which it no longer held.
type Firing struct {
	Start, End time.Time
	// Open says it was still firing at the end of the evaluation.
	Open bool
}

// Evaluate runs the condition over the series as Prometheus would run the
// rule, at every step from `from` to `to`: each clause over the calls in
// its window (a rate's ratio is the ratio of the counts), pending while
// it holds, firing once it has held for cond.For. A firing still on at
// `to` ends there.
func Evaluate(cond Condition, s Series, buckets []float64, from, to time.Time) []Firing {
	if s.Step <= 0 || !to.After(from) {
		return nil
	}
	step := int64(s.Step / time.Second)
	first, last := from.Unix()/step, to.Unix()/step
	wins := map[time.Duration]*window{}
	for _, w := range cond.Windows() {
		n := int64(w / s.Step)
		if n < 1 {
			n = 1
		}
		wins[w] = &window{steps: n, hist: make([]float64, len(buckets)+1)}
	}
	// The evaluation at the end of step `at` (instant (at+1)·step) sees
	// the calls that ended up to that instant, as Prometheus sees only
	// samples up to its evaluation time.
	held := make([]bool, 0, last-first+1)
	for at := first - 1; at < last; at++ {
		for _, w := range wins {
			w.advance(s.Cells, at)
		}
		held = append(held, holds(cond, wins, buckets))
	}
	return Hold(held, time.Unix(first*step, 0).UTC(), s.Step, cond.For)
}

// Hold turns whether a condition held at each evaluation (the first at
// from, then every step) into firings as Prometheus makes them: pending
// while it holds, firing once it has held for `hold`. A firing still on
// at the last evaluation is Open and ends there.
func Hold(held []bool, from time.Time, step, hold time.Duration) []Firing {
	var out []Firing
	pendingSince := -1
	firing := false
	for i, h := range held {
		instant := from.Add(time.Duration(i) * step)
		if h {
			if pendingSince < 0 {
				pendingSince = i
			}
			if !firing && time.Duration(i-pendingSince)*step >= hold {
				firing = true
				out = append(out, Firing{Start: instant})
			}
			continue
		}
		pendingSince = -1
		if firing {
			firing = false
			out[len(out)-1].End = instant
		}
	}
	if firing {
		out[len(out)-1].End = from.Add(time.Duration(len(held)-1) * step)
		out[len(out)-1].Open = true
	}
	return out
}

func holds(cond Condition, wins map[time.Duration]*window, buckets []float64) bool {
	for _, term := range cond.Terms {
		all := len(term) > 0
		for _, cl := range term {
			if !wins[cl.Window].holds(cl, buckets) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// window keeps the sums of the cells in (at-steps, at], sliding forward.
type window struct {
	steps       int64
	lo, hi      int // cells[lo:hi] are inside
	calls, errs float64
	hist        []float64
}

func (w *window) advance(cells []Cell, at int64) {
	for w.hi < len(cells) && cells[w.hi].At <= at {
		w.add(cells[w.hi], 1)
		w.hi++
	}
	for w.lo < w.hi && cells[w.lo].At <= at-w.steps {
		w.add(cells[w.lo], -1)
		w.lo++
	}
	if w.lo == w.hi {
		// Nothing inside: reset, so float error cannot pile up.
		w.calls, w.errs = 0, 0
		clear(w.hist)
	}
}

func (w *window) add(c Cell, sign float64) {
	w.calls += sign * float64(c.Calls)
	w.errs += sign * float64(c.Errors)
	for i, v := range c.Hist {
		if i < len(w.hist) {
			w.hist[i] += sign * float64(v)
		}
	}
}

func (w *window) holds(cl Clause, buckets []float64) bool {
	if w.calls < 0.5 || w.calls < float64(cl.MinCalls)-1e-9 {
		return false
	}
	if cl.MinBad > 0 {
		bad := w.errs
		if cl.Measure != ErrorRatio {
			bad = w.above(cl.badBound(), buckets)
		}
		if bad < float64(cl.MinBad)-1e-9 {
			return false
		}
	}
	switch cl.Measure {
	case ErrorRatio:
		return w.errs/w.calls > cl.Above
	case Quantile:
		return HistogramQuantile(cl.Q, buckets, w.hist) > cl.Above
	case SlowRatio:
		return w.above(cl.Bound, buckets)/w.calls > cl.Above
	}
	return false
}

// above counts the calls in buckets beyond bound.
func (w *window) above(bound float64, buckets []float64) float64 {
	n := 0.0
	for i, c := range w.hist {
		if i >= len(buckets) || buckets[i] > bound*(1+1e-9) {
			n += c
		}
	}
	return n
}

// HistogramQuantile is Prometheus's histogram_quantile over per-bucket
// counts (not cumulative; counts[len(bounds)] is the +Inf bucket): linear
// interpolation inside the bucket the rank falls in, from 0 for the first,
// and the highest finite bound when it falls in +Inf.
func HistogramQuantile(q float64, bounds, counts []float64) float64 {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(bounds) == 0 {
		return math.NaN()
	}
	rank := q * total
	cum := 0.0
	for i, b := range bounds {
		prev := cum
		cum += counts[i]
		if cum >= rank {
			lower := 0.0
			if i > 0 {
				lower = bounds[i-1]
			}
			if counts[i] == 0 {
				return b
			}
			return lower + (b-lower)*(rank-prev)/counts[i]
		}
	}
	return bounds[len(bounds)-1]
}

// Merge adds series of the same step into one (a service's server and
// consumer spans, say).
func Merge(step time.Duration, parts ...Series) Series {
	byAt := map[int64]*Cell{}
	for _, p := range parts {
		for _, c := range p.Cells {
			m := byAt[c.At]
			if m == nil {
				m = &Cell{At: c.At, Hist: make([]uint32, len(c.Hist))}
				byAt[c.At] = m
			}
			m.Calls += c.Calls
			m.Errors += c.Errors
			for i, v := range c.Hist {
				m.Hist[i] += v
			}
		}
	}
	out := Series{Step: step, Cells: make([]Cell, 0, len(byAt))}
	for _, c := range byAt {
		out.Cells = append(out.Cells, *c)
	}
	sort.Slice(out.Cells, func(i, j int) bool { return out.Cells[i].At < out.Cells[j].At })
	return out
}

// Total is the time the firings cover.
func Total(fs []Firing) time.Duration {
	var d time.Duration
	for _, f := range fs {
		d += f.End.Sub(f.Start)
	}
	return d
}
