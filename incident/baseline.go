package incident

import (
	"math"
	"sort"
	"time"
)

// BaselineStep is the baseline's resolution: fine enough to leave out the
// hours of an earlier incident, coarse enough that a week is 168 buckets.
const BaselineStep = time.Hour

// Outlier is a stretch of the baseline left out because the entry points
// were themselves failing or slow in it: an earlier incident would
// otherwise lift the baseline and hide this one.
type Outlier struct {
	From, To time.Time
	// Why is "errors" or "latency".
	Why string
	// Value and Typical are the stretch's error ratio (or p95 in ms) and
	// the baseline's median of them.
	Value, Typical float64
}

// Robust thresholds: a stretch is an outlier when it is far outside the
// baseline's own stretches by median and MAD, and clearly worse in plain
// terms too (so a baseline with almost no spread does not flag noise).
const (
	outlierMADs      = 6
	outlierMinTraces = 30
	outlierErrorGap  = 0.02 // at least 2 points of error ratio above the median
	outlierLatency   = 1.5  // and a p95 at least 1.5 times the median
)

// stretch is one baseline bucket's entry-point traffic.
type stretch struct {
	key            int64
	from           time.Time
	traces, failed int64
	p95            float64
}

// cleanBaseline merges the baseline's buckets, leaving out those in which
// the entry points' error ratio or p95 was an outlier among the
// baseline's own buckets.
func cleanBaseline(p *Profile) (*bucket, []Outlier) {
	var ss []stretch
	for k, b := range p.buckets {
		s := stretch{key: k, from: p.From.Add(time.Duration(k) * p.bucket)}
		for _, e := range b.entries {
			s.traces += e.traces
			s.failed += e.failed
			s.p95 = math.Max(s.p95, e.lat.Quantile(0.95))
		}
		if s.traces >= outlierMinTraces {
			ss = append(ss, s)
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].key < ss[j].key })
	skip := map[int64]bool{}
	var out []Outlier
	if len(ss) >= 6 { // too few stretches say nothing about what is usual
		ratio := func(s stretch) float64 { return float64(s.failed) / float64(s.traces) }
		errMed, errMAD := medianMAD(ss, ratio)
		latMed, latMAD := medianMAD(ss, func(s stretch) float64 { return s.p95 })
		for _, s := range ss {
			r := ratio(s)
			switch {
			case r > errMed+outlierMADs*errMAD && r >= errMed+outlierErrorGap:
				out = append(out, Outlier{From: s.from, To: s.from.Add(p.bucket), Why: "errors", Value: r, Typical: errMed})
			case s.p95 > latMed+outlierMADs*latMAD && s.p95 >= outlierLatency*latMed:
				out = append(out, Outlier{From: s.from, To: s.from.Add(p.bucket), Why: "latency", Value: s.p95, Typical: latMed})
			default:
				continue
			}
			skip[s.key] = true
		}
	}
	merged := newBucket()
	for k, b := range p.buckets {
		if !skip[k] {
			merged.add(b)
		}
	}
	return merged, out
}

// medianMAD is the median of f over the stretches and their median
// absolute deviation, scaled to a normal's standard deviation.
func medianMAD(ss []stretch, f func(stretch) float64) (float64, float64) {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = f(s)
	}
	med := median(vs)
	for i, v := range vs {
		vs[i] = math.Abs(v - med)
	}
	return med, 1.4826 * median(vs)
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// excludedMinutes counts the watched minutes inside the outliers, which
// the baseline's rates no longer include.
func (p *Profile) excludedMinutes(out []Outlier) float64 {
	n := 0.0
	for _, o := range out {
		n += p.observedMinutes(o.From, o.To)
	}
	return n
}
