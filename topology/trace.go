package topology

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Trace is one closed trace as every rule reads it: its spans with parents
// and children resolved once, its root, which spans serve a request and
// which calls reached nothing instrumented. The builder makes it when it
// closes a trace and hands the same view to the graph fold and to every
// Observer, so a node's calls in the graph and its requests in an incident
// profile are one count.
//
// A Trace and its slices are only valid during the call it is handed to:
// the builder reuses their memory for the next trace.
type Trace struct {
	ID    pcommon.TraceID
	Spans []Span
	// Parent[i] is the index of span i's parent; -1 for a root or an orphan.
	Parent []int
	// Root is the earliest span without a parent ID, -1 when every span
	// names a parent (a trace cut off at the top).
	Root int
	// Late says the spans came after their trace had closed.
	Late bool

	kidStart []int // span i's children are kids[kidStart[i]:kidStart[i+1]]
	kids     []int
	fill     []int  // scratch for link
	paired   []bool // an outgoing span with its callee (or a nested call) under it
	idx      traceIndex
}

// Children returns span i's children in start order.
func (t *Trace) Children(i int) []int { return t.kids[t.kidStart[i]:t.kidStart[i+1]] }

// Orphan says span i names a parent that is not in the trace.
func (t *Trace) Orphan(i int) bool { return t.Parent[i] < 0 && !t.Spans[i].Parent.IsEmpty() }

// Enters says span i is a request its service served: the one definition
// behind a node's calls in the graph, an incident profile's requests served
// and the handlers whose steps it follows. It is a root that serves (a
// SERVER or CONSUMER span, or one with no kind, as in data that records
// none), an orphan that serves, or a span whose parent is in another
// service or called it over the network.
func (t *Trace) Enters(i int) bool {
	s := &t.Spans[i]
	p := t.Parent[i]
	switch {
	case p >= 0:
		ps := &t.Spans[p]
		return ps.Service != s.Service || calls(ps.Kind) && receives(s.Kind)
	case s.Parent.IsEmpty():
		return receives(s.Kind) || s.Kind == ptrace.SpanKindUnspecified
	}
	return receives(s.Kind)
}

// TimedBy is the span whose duration measures the call that span i
// serves: its caller's CLIENT or PRODUCER span when the parent made the
// call (the wait as the caller saw it, network included), else span i
// itself. Only meaningful where Enters(i) holds.
func (t *Trace) TimedBy(i int) int {
	if p := t.Parent[i]; p >= 0 && calls(t.Spans[p].Kind) {
		return p
	}
	return i
}

// Callee is the uninstrumented node a CLIENT span called (a database, a
// cache, an external API), or nil: the span has the callee's span or a
// nested call of its own under it, names no peer, or names its own service.
func (t *Trace) Callee(i int) *Peer {
	s := &t.Spans[i]
	if s.Kind != ptrace.SpanKindClient || t.paired[i] || s.Peer == nil || s.Peer.Name == s.Service {
		return nil
	}
	return s.Peer
}

// StartSpan is the span that dates the trace: its root, or the earliest
// span when it has none.
func (t *Trace) StartSpan() int {
	if t.Root >= 0 {
		return t.Root
	}
	first := 0
	for i := range t.Spans {
		if t.Spans[i].Start < t.Spans[first].Start {
			first = i
		}
	}
	return first
}

// resolve builds the view of spans; the slices are reused across traces.
func (t *Trace) resolve(id pcommon.TraceID, spans []Span, late bool) {
	t.ID, t.Spans, t.Late, t.Root = id, spans, late, -1
	n := len(spans)
	t.Parent = grow(t.Parent, n)
	t.paired = grow(t.paired, n)
	clear(t.paired)
	t.idx.index(spans)
	for i := range spans {
		s := &spans[i]
		t.Parent[i] = -1
		if s.Parent.IsEmpty() {
			if t.Root < 0 || s.Start < spans[t.Root].Start {
				t.Root = i
			}
			continue
		}
		if p, ok := t.idx.parentOf(i); ok && p != i {
			t.Parent[i] = p
			ps := &spans[p]
			if ps.Service != s.Service || calls(ps.Kind) && receives(s.Kind) || calls(s.Kind) {
				// A client span nested in another of the same service (an
				// HTTP library under an SDK call): the innermost speaks
				// for both.
				t.paired[p] = true
			}
		}
	}
	t.link()
}

// link lays the children out by parent, each parent's in start order.
func (t *Trace) link() {
	n := len(t.Spans)
	t.kidStart = grow(t.kidStart, n+1)
	clear(t.kidStart)
	for _, p := range t.Parent {
		if p >= 0 {
			t.kidStart[p+1]++
		}
	}
	for i := 1; i <= n; i++ {
		t.kidStart[i] += t.kidStart[i-1]
	}
	t.kids = grow(t.kids, t.kidStart[n])
	t.fill = grow(t.fill, n)
	copy(t.fill, t.kidStart[:n])
	for i, p := range t.Parent {
		if p >= 0 {
			t.kids[t.fill[p]] = i
			t.fill[p]++
		}
	}
	for i := 0; i < n; i++ {
		kids := t.Children(i)
		if len(kids) > 1 {
			slices.SortStableFunc(kids, func(a, b int) int {
				sa, sb := t.Spans[a].Start, t.Spans[b].Start
				switch {
				case sa < sb:
					return -1
				case sa > sb:
					return 1
				}
				return a - b
			})
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
