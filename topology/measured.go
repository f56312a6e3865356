package topology

import (
	"maps"
	"math"
	"slices"
	"sort"
)

// Measured are exact numbers from a metrics source (Tempo's TraceQL
// metrics, or span metrics in Prometheus), keyed by the names the spans
// give. The graph's shape still comes from traces; Apply puts these
// numbers on it.
type Measured struct {
	// Source is StatsTempoMetrics or StatsPrometheus; Window the range
	// the numbers cover.
	Source string
	Window Window
	// Served is per service.name, per operation name, the requests it
	// served; Calls per caller service.name, per callee service.name, the
	// calls between them as the callee counted them.
	Served map[string]map[string]*Histogram
	Calls  map[string]map[string]*Histogram
	// Nodes and Edges are numbers already summed up per graph node and
	// per edge (from, to), by the graph's own names: what span metrics in
	// Prometheus give, without operations.
	Nodes map[string]Stats
	Edges map[[2]string]Stats
}

// Histogram counts calls, errors and durations in buckets, as a metrics
// source keeps them.
type Histogram struct {
	Calls, Errors int64
	// Buckets maps a bucket's upper bound in seconds to the calls that
	// fell in it (not cumulative).
	Buckets map[float64]int64
	// Match selects an operation's spans, for one the traces never
	// sampled.
	Match []Attr
}

// Add merges o into h.
func (h *Histogram) Add(o *Histogram) {
	h.Calls += o.Calls
	h.Errors += o.Errors
	if h.Match == nil {
		h.Match = o.Match
	}
	if len(o.Buckets) > 0 && h.Buckets == nil {
		h.Buckets = map[float64]int64{}
	}
	for le, n := range o.Buckets {
		h.Buckets[le] += n
	}
}

// QuantileMS is the q-quantile in milliseconds: the bucket holding it, and
// a linear guess inside it, as histogram_quantile does. It is as exact as
// the bucket is narrow.
func (h *Histogram) QuantileMS(q float64) float64 {
	bounds := slices.Sorted(maps.Keys(h.Buckets))
	var total int64
	for _, le := range bounds {
		total += h.Buckets[le]
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var seen int64
	lower := 0.0
	for _, le := range bounds {
		n := h.Buckets[le]
		if n > 0 && float64(seen+n) >= rank {
			// Tempo's buckets are powers of two: the one below le is le/2.
			lower = le / 2
			frac := (rank - float64(seen)) / float64(n)
			return round3((lower + frac*(le-lower)) * 1000)
		}
		seen += n
	}
	return round3(bounds[len(bounds)-1] * 1000)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Stats are the histogram's numbers, from source ("" for the graph's).
func (h *Histogram) Stats(source string) Stats { return h.stats(source) }

func (h *Histogram) stats(source string) Stats {
	return Stats{Calls: h.Calls, Errors: h.Errors, P50MS: h.QuantileMS(0.5), P95MS: h.QuantileMS(0.95), P99MS: h.QuantileMS(0.99), Source: source}
}

// OperationOf names a served span's operation as the graph does, from its
// span name and attributes, with the attributes that select its spans: a
// metrics source grouped by those attributes gives the graph's own names.
func OperationOf(spanName string, attrs map[string]string) (string, []Attr) {
	var m Attributes
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		m = append(m, KeyValue{Key: k, Value: StrValue(attrs[k])})
	}
	name, by := operationName(spanName, index(m), nil)
	return name, opMatch(name, by)
}

// Apply replaces the graph's numbers with the measured ones wherever the
// source measured them: services, their operations (adding those the
// traces never sampled, as rare paths) and the calls between services.
// What it did not measure (databases, external APIs, the user's requests)
// keeps the traces' numbers and says so in its Source. It returns the
// operations added.
func (g *Graph) Apply(m Measured) (added int) {
	g.StatsSource, g.StatsWindow = m.Source, m.Window
	served := map[string]map[string]*Histogram{}
	// Sorted, so that the first spelling's Match wins every run.
	for _, svc := range slices.Sorted(maps.Keys(m.Served)) {
		ops := m.Served[svc]
		name := g.Canonical(svc)
		if served[name] == nil {
			served[name] = map[string]*Histogram{}
		}
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			h := ops[op]
			if served[name][op] == nil {
				served[name][op] = &Histogram{}
			}
			served[name][op].Add(h)
		}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if s, ok := m.Nodes[n.Name]; ok {
			n.Stats, n.Source = s, ""
			for j := range n.Operations {
				n.Operations[j].Source = StatsTraces
			}
			continue
		}
		ops, ok := served[n.Name]
		if !ok || n.Virtual || n.Kind == KindUser {
			n.Source = StatsTraces
			continue
		}
		added += n.applyOperations(ops, m.Source)
	}
	calls := map[[2]string]*Histogram{}
	for from, tos := range m.Calls {
		for to, h := range tos {
			k := [2]string{g.Canonical(from), g.Canonical(to)}
			if calls[k] == nil {
				calls[k] = &Histogram{}
			}
			calls[k].Add(h)
		}
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		if s, ok := m.Edges[[2]string{e.From, e.To}]; ok {
			e.Stats, e.Source = s, ""
		} else if h, ok := calls[[2]string{e.From, e.To}]; ok {
			e.Stats = h.stats(m.Source)
			e.Source = ""
		} else {
			e.Source = StatsTraces
		}
	}
	return added
}

// applyOperations sets a service's numbers and its operations' from the
// measured ones, and returns how many operations only the metrics saw.
func (n *Node) applyOperations(ops map[string]*Histogram, source string) (added int) {
	total := &Histogram{}
	seen := map[string]bool{}
	for i := range n.Operations {
		op := &n.Operations[i]
		seen[op.Name] = true
		if h, ok := ops[op.Name]; ok {
			op.Stats = h.stats(source)
			op.Source = ""
		} else {
			op.Source = StatsTraces
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ops)) {
		h := ops[name]
		total.Add(h)
		if !seen[name] {
			n.Operations = append(n.Operations, Operation{Name: name, Match: h.Match, Stats: h.stats(source)})
			added++
		}
	}
	n.Stats = total.stats(source)
	n.Source = ""
	sort.SliceStable(n.Operations, func(i, j int) bool {
		a, b := n.Operations[i], n.Operations[j]
		return a.Calls > b.Calls || a.Calls == b.Calls && a.Name < b.Name
	})
	return added
}
