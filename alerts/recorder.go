package alerts

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

// maxCells bounds what a Recorder holds (about 100 bytes a cell, so some
// 50 MB at most): past it, steps double (two minutes, four, …), so a long
// window or many services cost resolution, not memory. A week of minutes
// is 10,080 cells a series, so about fifty busy series stay at a minute.
var maxCells = 1 << 19

// Recorder rebuilds, from closed traces, the span metrics a
// metrics-generator would have written: per service and span kind, every
// span's count, failure and duration; per uninstrumented node, the calls
// made to it (the service graph's virtual nodes). Hand its Observe to
// topology.Builder.Observe; Series then gives what a rule's target reads.
type Recorder struct {
	step        time.Duration
	spanBuckets []float64
	peerBuckets []float64
	series      map[seriesKey]*recording
	cells       int
}

type seriesKey struct {
	name string
	kind string // span kind, or "peer" for a virtual node
}

type recording struct {
	at    map[int64]int
	cells []Cell
}

// NewRecorder records into the dialect's buckets, a minute a step.
func NewRecorder(d Dialect) *Recorder {
	return &Recorder{step: time.Minute, spanBuckets: d.Buckets, peerBuckets: d.GraphBuckets,
		series: map[seriesKey]*recording{}}
}

// Observe records one closed trace.
func (r *Recorder) Observe(t *topology.Trace) {
	for i := range t.Spans {
		s := &t.Spans[i]
		switch s.Kind {
		case ptrace.SpanKindServer, ptrace.SpanKindConsumer, ptrace.SpanKindUnspecified:
			r.add(seriesKey{s.Service, kindName(s.Kind)}, s, r.spanBuckets)
		case ptrace.SpanKindClient:
			if p := t.Callee(i); p != nil {
				r.add(seriesKey{p.Name, "peer"}, s, r.peerBuckets)
			}
		}
	}
}

func kindName(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "SPAN_KIND_SERVER"
	case ptrace.SpanKindConsumer:
		return "SPAN_KIND_CONSUMER"
	}
	return "SPAN_KIND_UNSPECIFIED"
}

func (r *Recorder) add(k seriesKey, s *topology.Span, buckets []float64) {
	rec := r.series[k]
	if rec == nil {
		rec = &recording{at: map[int64]int{}}
		r.series[k] = rec
	}
	at := int64(s.End/1e9) / int64(r.step/time.Second)
	i, ok := rec.at[at]
	if !ok {
		i = len(rec.cells)
		rec.at[at] = i
		rec.cells = append(rec.cells, Cell{At: at, Hist: make([]uint32, len(buckets)+1)})
		r.cells++
	}
	c := &rec.cells[i]
	c.Calls++
	if s.Failed {
		c.Errors++
	}
	c.Hist[bucketOf(s.DurationMS()/1000, buckets)]++
	if r.cells > maxCells {
		r.coarsen()
	}
}

// bucketOf is the index of the first bound at or above v, len(bounds) for
// +Inf.
func bucketOf(v float64, bounds []float64) int {
	return sort.Search(len(bounds), func(i int) bool { return bounds[i] >= v })
}

// coarsen doubles the step, merging each pair of steps.
func (r *Recorder) coarsen() {
	r.step *= 2
	r.cells = 0
	for _, rec := range r.series {
		merged := map[int64]int{}
		var cells []Cell
		for _, c := range rec.cells {
			at := c.At >> 1
			j, ok := merged[at]
			if !ok {
				j = len(cells)
				merged[at] = j
				cells = append(cells, Cell{At: at, Hist: make([]uint32, len(c.Hist))})
			}
			m := &cells[j]
			m.Calls += c.Calls
			m.Errors += c.Errors
			for i, v := range c.Hist {
				m.Hist[i] += v
			}
		}
		rec.at, rec.cells = merged, cells
		r.cells += len(cells)
	}
}

// Step is the recording's resolution.
func (r *Recorder) Step() time.Duration { return r.step }

// Service is the series of a service's spans of the given kinds (all
// serving kinds when none are given).
func (r *Recorder) Service(name string, kinds []string) Series {
	if len(kinds) == 0 {
		kinds = []string{"SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER", "SPAN_KIND_UNSPECIFIED"}
	}
	var parts []Series
	for _, k := range kinds {
		if rec := r.series[seriesKey{name, k}]; rec != nil {
			parts = append(parts, Series{Step: r.step, Cells: rec.cells})
		}
	}
	return Merge(r.step, parts...)
}

// Peer is the series of calls to a node that sends no spans.
func (r *Recorder) Peer(name string) Series {
	if rec := r.series[seriesKey{name, "peer"}]; rec != nil {
		return Merge(r.step, Series{Step: r.step, Cells: rec.cells})
	}
	return Series{Step: r.step}
}

// UseNames files the series under the names g gave their nodes after
// merging (aliases, letter case, addresses, subnets), so a merged node's
// series holds every name it was recorded under.
func (r *Recorder) UseNames(g *topology.Graph) {
	if len(g.Merged) == 0 {
		return
	}
	renamed := make(map[seriesKey]*recording, len(r.series))
	keys := make([]seriesKey, 0, len(r.series))
	for k := range r.series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].name+"\x00"+keys[i].kind < keys[j].name+"\x00"+keys[j].kind })
	r.cells = 0
	for _, k := range keys {
		rec := r.series[k]
		k.name = g.Canonical(k.name)
		if mine := renamed[k]; mine != nil {
			for _, c := range rec.cells {
				i, ok := mine.at[c.At]
				if !ok {
					mine.at[c.At] = len(mine.cells)
					mine.cells = append(mine.cells, Cell{At: c.At, Hist: make([]uint32, len(c.Hist))})
					i = len(mine.cells) - 1
				}
				m := &mine.cells[i]
				m.Calls += c.Calls
				m.Errors += c.Errors
				for j, v := range c.Hist {
					m.Hist[j] += v
				}
			}
			continue
		}
		renamed[k] = rec
	}
	for _, rec := range renamed {
		r.cells += len(rec.cells)
	}
	r.series = renamed
}
