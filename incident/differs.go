package incident

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// What differs in the failing requests, after Honeycomb's BubbleUp and
// Tempo's compare(): each service's requests are counted by the values of
// the attributes of the process that served them (version, pod, host,
// zone…) and by operation, and a value far more common among the failing
// requests than among the good ones and the baseline's points at the
// trigger.

// dimKey is one attribute value of the requests a service served; the
// empty key counts them all.
type dimKey struct{ service, key, value string }

// dimCount counts the requests with one value, how many failed, their
// durations in powers of two of a millisecond (which request was slow is
// only known once the baseline is read), and when the first started.
type dimCount struct {
	total, failed int64
	first         uint64
	durations     [durationBins]uint32
}

// durationBins cover under 1 ms to over 65 s in doublings.
const durationBins = 18

func durationBin(ms float64) int {
	b := 0
	for limit := 1.0; ms >= limit && b < durationBins-1; limit *= 2 {
		b++
	}
	return b
}

// slowerThan counts the requests in bins wholly above ms: a request is
// slow only when its whole bin is, so the count never overstates.
func (d *dimCount) slowerThan(ms float64) int64 {
	var n int64
	for b := durationBin(ms) + 1; b < durationBins; b++ {
		n += int64(d.durations[b])
	}
	return n
}

func (d *dimCount) merge(o *dimCount) {
	d.total += o.total
	d.failed += o.failed
	if o.first != 0 && (d.first == 0 || o.first < d.first) {
		d.first = o.first
	}
	for i, n := range o.durations {
		d.durations[i] += n
	}
}

// maxDims bounds the values counted per bucket: past it new values are
// not counted (those seen already still are).
const maxDims = 1 << 12

// OperationKey is the pseudo-attribute a request's operation is counted
// under; SpanPrefix marks a span's own attributes, as TraceQL writes them.
const (
	OperationKey = "operation"
	SpanPrefix   = "span."
)

func (b *bucket) countDims(s *topology.Span) {
	b.countDim(dimKey{s.Service, "", ""}, s)
	b.countDim(dimKey{s.Service, OperationKey, s.Op}, s)
	for _, a := range s.Resource() {
		b.countDim(dimKey{s.Service, a.Key, a.Value}, s)
	}
	for _, a := range s.Tags() {
		b.countDim(dimKey{s.Service, SpanPrefix + a.Key, a.Value}, s)
	}
}

func (b *bucket) countDim(k dimKey, s *topology.Span) {
	d := b.dims[k]
	if d == nil {
		if len(b.dims) >= maxDims {
			return
		}
		d = &dimCount{}
		b.dims[k] = d
	}
	d.total++
	if s.Failed {
		d.failed++
	}
	d.durations[durationBin(s.DurationMS())]++
	if d.first == 0 || s.Start < d.first {
		d.first = s.Start
	}
}

// Finding is one attribute value over-represented among a service's
// failing (or slow) requests in the window.
type Finding struct {
	Service, Key, Value string
	// Slow says the bad requests are the slow ones: slower than the
	// service's baseline p99 (SlowerThanMS), not the failing ones.
	Slow         bool
	SlowerThanMS float64
	// Failed of the service's FailedTotal failing requests in the window
	// had the value; BadShare is their ratio, GoodShare the value's share
	// of the window's good requests and BaselineShare of the baseline's.
	Failed, FailedTotal                int64
	BadShare, GoodShare, BaselineShare float64
	// FirstSeen is when the first request with the value started in the
	// window's profile (its lead-in included).
	FirstSeen time.Time
	// NewInWindow says the baseline never saw the value.
	NewInWindow bool
}

// Score is how much more common the value is among the failures than
// anywhere else: 1 when every failure has it and nothing else does.
func (f Finding) Score() float64 { return f.BadShare - math.Max(f.GoodShare, f.BaselineShare) }

// keyRank prefers, among equal findings, what names a trigger best: a
// release, then a workload, a pod, a host, then the rest.
var keyRank = map[string]int{"service.version": 0, "k8s.deployment.name": 1, "k8s.statefulset.name": 1,
	"k8s.pod.name": 2, "host.name": 3, "k8s.node.name": 4}

// Findings below these say too little to report.
const (
	minFindingFailures = 3
	minFindingScore    = 0.25
	maxFindings        = 8
)

// differs ranks the findings of the window against the baseline: for
// the failing requests, and for those slower than the baseline's p99.
func differs(base, win *bucket) []Finding {
	var out []Finding
	p99 := map[string]float64{}
	for name, sp := range base.services {
		if sp.served.Calls >= 20 {
			p99[name] = sp.served.Latency.Quantile(0.99)
		}
	}
	for k, d := range win.dims {
		if k.key == "" {
			continue
		}
		all := win.dims[dimKey{k.service, "", ""}]
		if all == nil {
			continue
		}
		if f, ok := finding(base, k, d.failed, d.total, all.failed, all.total); ok {
			f.FirstSeen = unixTime(d.first)
			out = append(out, f)
		}
		if limit, ok := p99[k.service]; ok {
			if f, ok := finding(base, k, d.slowerThan(limit), d.total, all.slowerThan(limit), all.total); ok {
				f.Slow, f.SlowerThanMS, f.FirstSeen = true, limit, unixTime(d.first)
				out = append(out, f)
			}
		}
	}
	sortFindings(out)
	if len(out) > maxFindings {
		out = out[:maxFindings]
	}
	return out
}

// finding compares bad of total requests with one value against allBad of
// allTotal for the service, and the baseline's share of the value.
func finding(base *bucket, k dimKey, bad, total, allBad, allTotal int64) (Finding, bool) {
	if bad < minFindingFailures || allBad == 0 {
		return Finding{}, false
	}
	f := Finding{Service: k.service, Key: k.key, Value: k.value, Failed: bad, FailedTotal: allBad,
		BadShare: float64(bad) / float64(allBad)}
	if good := allTotal - allBad; good > 0 {
		f.GoodShare = float64(total-bad) / float64(good)
	}
	if bAll := base.dims[dimKey{k.service, "", ""}]; bAll != nil && bAll.total > 0 {
		if bd := base.dims[k]; bd != nil {
			f.BaselineShare = float64(bd.total) / float64(bAll.total)
		} else {
			f.NewInWindow = true
		}
	}
	return f, f.Score() >= minFindingScore
}

func sortFindings(out []Finding) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if sa, sb := math.Round(a.Score()*100), math.Round(b.Score()*100); sa != sb {
			return sa > sb
		}
		if a.Failed != b.Failed {
			return a.Failed > b.Failed
		}
		if ra, rb := rankOf(a.Key), rankOf(b.Key); ra != rb {
			return ra < rb
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Slow != b.Slow {
			return !a.Slow
		}
		return a.Key+a.Value < b.Key+b.Value
	})
}

func rankOf(key string) int {
	if r, ok := keyRank[key]; ok {
		return r
	}
	if key == OperationKey {
		return 5
	}
	return 6
}

// ProbableTrigger is the finding that explains most of the failures on its
// own, if one does: at least half of the failing requests had it, and it
// is rare elsewhere.
// Only the top suspects' findings count (any process's, when there is no
// suspect): a route at the entry point
// carries every failure of the service below it, which is the cause, not
// the route. An attribute of the process comes before an operation.
func (a *Analysis) ProbableTrigger() (Finding, bool) {
	strong := func(f Finding) bool { return f.BadShare >= 0.5 && f.Score() >= 0.4 }
	var services []string
	for i, s := range a.Suspects {
		if i == 3 {
			break
		}
		services = append(services, s.Node)
	}
	passes := []func(Finding) bool{
		func(f Finding) bool { return f.Key != OperationKey && slices.Contains(services, f.Service) },
		func(f Finding) bool { return slices.Contains(services, f.Service) },
	}
	if len(services) == 0 {
		// Too few bad requests for a suspect: one process that had them
		// all still says where to look.
		passes = []func(Finding) bool{func(f Finding) bool { return f.Key != OperationKey }}
	}
	for _, pass := range passes {
		for _, f := range a.Differs {
			if strong(f) && pass(f) {
				return f, true
			}
		}
	}
	return Finding{}, false
}

func unixTime(ns uint64) time.Time { return time.Unix(0, int64(ns)).UTC() }
