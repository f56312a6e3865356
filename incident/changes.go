package incident

import (
	"math"
	"sort"
)

// Change compares one node, edge or operation in the window with the
// baseline: what a dashboard of rates, errors and latency would show for
// it. Unlike a suspect's evidence it is not split into own and passed-on
// deviation, so a caller slowed by its callee moves too.
type Change struct {
	// Kind is ChangeNode, ChangeEdge or ChangeOperation.
	Kind string
	// Name is the node, "caller → callee", or "node: operation".
	Name             string
	Baseline, Window Traffic
	// Moved says what left the baseline's range, among MovedNew,
	// MovedGone, MovedRate, MovedErrors, MovedP50 and MovedP99.
	Moved []string
	// Size is how far the largest of those moved, as a log ratio.
	Size float64
}

// The kinds of thing a Change compares.
const (
	ChangeNode      = "node"      // the requests a node served: spans entering it, or calls to a database or API
	ChangeEdge      = "edge"      // the calls from one service to another
	ChangeOperation = "operation" // the spans of one operation of a node
)

// What a Change can show moving.
const (
	MovedNew    = "new"    // no traffic in the baseline, some in the window
	MovedGone   = "gone"   // traffic in the baseline, none in the window
	MovedRate   = "rate"   // three times its share of the traffic in the baseline, or a third of it
	MovedErrors = "errors" // the error ratio at least doubled, by two points or more
	MovedP50    = "p50"    // the median at least 1.5 times the baseline's, 1 ms or more slower
	MovedP99    = "p99"    // the p99 at least twice the baseline's, 5 ms or more slower
)

// Traffic is one side of a Change.
type Traffic struct {
	Calls        int64
	PerMinute    float64
	ErrorRatio   float64
	P50MS, P99MS float64
}

// Counts below these are too few to compare: a rate, error ratio or median
// needs a handful of calls, a p99 a few dozen.
const (
	minCompared    = 5
	minComparedP99 = 20
	minRateCalls   = 20
	minErrors      = 3
)

// watch is how long the baseline and the window were watched, and the
// window's load: its traces per minute over the baseline's. A night-time
// window of a weekly baseline carries a fraction of the average traffic;
// a node's rate moves only when its share of the traffic does.
type watch struct{ baseMinutes, winMinutes, load float64 }

func watchOf(base, win *bucket, baseMinutes, winMinutes float64) watch {
	load := 1.0
	if base.traces > 0 && win.traces > 0 {
		load = (float64(win.traces) / winMinutes) / (float64(base.traces) / baseMinutes)
	}
	return watch{baseMinutes, winMinutes, load}
}

// changes compares every node, edge and operation of the window with the
// baseline and keeps those that moved, largest first.
func changes(base, win *bucket, sp watch) []Change {
	var out []Change
	keep := func(kind, name string, b, w traffic) {
		if c := compare(kind, name, b, w, sp); len(c.Moved) > 0 {
			out = append(out, c)
		}
	}
	for _, name := range unionKeys(base.services, win.services) {
		b, w := servicesOf(base, name), servicesOf(win, name)
		keep(ChangeNode, name, b.served, w.served)
		for _, op := range unionKeys(b.ops, w.ops) {
			keep(ChangeOperation, name+": "+op, opOf(b, op).all, opOf(w, op).all)
		}
	}
	for _, e := range unionEdges(base.edges, win.edges) {
		keep(ChangeEdge, e.from+" → "+e.to, edgeOf(base, e).all, edgeOf(win, e).all)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Size != out[j].Size {
			return out[i].Size > out[j].Size
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// compare measures both sides and says what moved.
func compare(kind, name string, b, w traffic, sp watch) Change {
	c := Change{Kind: kind, Name: name, Baseline: measure(b, sp.baseMinutes), Window: measure(w, sp.winMinutes)}
	moved := func(what string, size float64) {
		c.Moved = append(c.Moved, what)
		c.Size = math.Max(c.Size, math.Abs(size))
	}
	expected := c.Baseline.PerMinute * sp.winMinutes * sp.load
	switch {
	case b.Calls == 0 && w.Calls >= minCompared:
		moved(MovedNew, math.Log(float64(w.Calls)))
		return c
	case w.Calls == 0 && expected >= 2*minCompared:
		moved(MovedGone, math.Log(expected))
		return c
	case b.Calls == 0 || w.Calls == 0:
		return c
	}
	if r := c.Window.PerMinute / c.Baseline.PerMinute / sp.load; (r >= 3 || r <= 1.0/3) && math.Max(float64(w.Calls), expected) >= minRateCalls {
		moved(MovedRate, math.Log(r))
	}
	be, we := c.Baseline.ErrorRatio, c.Window.ErrorRatio
	if w.Errors >= minErrors && we > math.Max(2*be, be+0.02) {
		moved(MovedErrors, math.Log((we+0.001)/(be+0.001)))
	}
	if b.Calls >= minCompared && w.Calls >= minCompared && slower(c.Baseline.P50MS, c.Window.P50MS, 1.5, 1) {
		moved(MovedP50, math.Log(c.Window.P50MS/math.Max(c.Baseline.P50MS, 0.001)))
	}
	if b.Calls >= minComparedP99 && w.Calls >= minComparedP99 && slower(c.Baseline.P99MS, c.Window.P99MS, 2, 5) {
		moved(MovedP99, math.Log(c.Window.P99MS/math.Max(c.Baseline.P99MS, 0.001)))
	}
	return c
}

// slower says a latency grew by at least ratio and by at least ms.
func slower(base, win, ratio, ms float64) bool {
	return win >= ratio*base && win-base >= ms
}

func measure(t traffic, minutes float64) Traffic {
	m := Traffic{Calls: t.Calls, PerMinute: float64(t.Calls) / math.Max(minutes, 1)}
	if t.Calls > 0 {
		m.ErrorRatio = float64(t.Errors) / float64(t.Calls)
		m.P50MS, m.P99MS = t.Latency.Quantile(0.5), t.Latency.Quantile(0.99)
	}
	return m
}

func servicesOf(b *bucket, name string) *serviceProfile {
	if sp := b.services[name]; sp != nil {
		return sp
	}
	return newServiceProfile()
}

func opOf(sp *serviceProfile, op string) *opProfile {
	if o := sp.ops[op]; o != nil {
		return o
	}
	return newOpProfile()
}

func edgeOf(b *bucket, e edgeName) *gapProfile {
	if g := b.edges[e]; g != nil {
		return g
	}
	return newGapProfile()
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unionEdges(a, b map[edgeName]*gapProfile) []edgeName {
	all := map[edgeName]*gapProfile{}
	for k, v := range a {
		all[k] = v
	}
	for k, v := range b {
		all[k] = v
	}
	return sortedEdges(all)
}
