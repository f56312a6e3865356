package topology

import "go.opentelemetry.io/collector/pdata/pcommon"

// traceIndex finds a span's parent within its trace. Span IDs are unique in
// a well-behaved trace, but Zipkin's shared spans give the client and
// server halves of one call the same ID, and converters do not always split
// them; so an ID may name several spans. Those IDs get a summary made once,
// so each child finds its parent in constant time however many spans share
// the ID.
type traceIndex struct {
	spans  []Span
	first  map[pcommon.SpanID]int
	shared map[pcommon.SpanID]*sharedID
}

// sharedID summarises the spans that share one ID, in input order.
type sharedID struct {
	first int
	// callers are the first two outgoing spans of distinct services: a
	// span that serves a request belongs under the first caller from
	// another service than its own.
	callers [2]int
	// last holds, per service, the last two spans of that service: any
	// other span belongs under the last half in its own service that is
	// not itself.
	last map[string][2]int
}

func (x *traceIndex) index(spans []Span) {
	x.spans = spans
	if x.first == nil {
		x.first = map[pcommon.SpanID]int{}
		x.shared = map[pcommon.SpanID]*sharedID{}
	}
	clear(x.first)
	clear(x.shared)
	for i := range spans {
		id := spans[i].ID
		j, dup := x.first[id]
		if !dup {
			x.first[id] = i
			continue
		}
		sh := x.shared[id]
		if sh == nil {
			sh = &sharedID{first: j, callers: [2]int{-1, -1}, last: map[string][2]int{}}
			sh.see(spans, j)
			x.shared[id] = sh
		}
		sh.see(spans, i)
	}
}

func (sh *sharedID) see(spans []Span, i int) {
	s := &spans[i]
	if calls(s.Kind) {
		switch c := sh.callers; {
		case c[0] < 0:
			sh.callers[0] = i
		case c[1] < 0 && spans[c[0]].Service != s.Service:
			sh.callers[1] = i
		}
	}
	l, ok := sh.last[s.Service]
	if !ok {
		l = [2]int{-1, -1}
	}
	sh.last[s.Service] = [2]int{l[1], i}
}

// parentOf returns the index of span i's parent. When the parent ID is
// shared, a span that serves a request belongs under the half that made
// the call from another service; any other span under the half in its own
// service.
func (x *traceIndex) parentOf(i int) (int, bool) {
	s := &x.spans[i]
	p, ok := x.first[s.Parent]
	if !ok {
		return 0, false
	}
	sh := x.shared[s.Parent]
	if sh == nil {
		return p, true
	}
	if receives(s.Kind) {
		for _, c := range sh.callers {
			if c >= 0 && c != i && x.spans[c].Service != s.Service {
				return c, true
			}
		}
		return sh.first, true
	}
	if l, ok := sh.last[s.Service]; ok {
		if l[1] != i {
			return l[1], true
		}
		if l[0] >= 0 {
			return l[0], true
		}
	}
	return sh.first, true
}
