package topology

import (
	"container/list"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// openTrace holds the spans of one trace until it closes.
type openTrace struct {
	id    pcommon.TraceID
	spans []span
	// lastMark is the watermark when the trace last received a span; the
	// trace closes once the watermark has moved a horizon past it.
	lastMark uint64
	elem     *list.Element
	// late is set for the spans of a trace that had already closed.
	late bool
}

// store keeps open traces in arrival order, so the ones to close are always
// at the front: closing by horizon and evicting under pressure are both O(1)
// per trace.
type store struct {
	open      map[pcommon.TraceID]*openTrace
	order     list.List
	openSpans int
	recent    recentSet
}

func newStore(recentCap int, recentWindow uint64) *store {
	return &store{open: map[pcommon.TraceID]*openTrace{}, recent: newRecentSet(recentCap, recentWindow)}
}

// add files a span under its trace and marks the trace as just touched.
func (s *store) add(id pcommon.TraceID, sp span, mark uint64) {
	t := s.open[id]
	if t == nil {
		t = &openTrace{id: id, late: s.recent.has(id)}
		t.elem = s.order.PushBack(t)
		s.open[id] = t
	} else {
		s.order.MoveToBack(t.elem)
	}
	t.spans = append(t.spans, sp)
	t.lastMark = mark
	s.openSpans++
}

// oldest returns the trace that has waited longest for a span, or nil.
func (s *store) oldest() *openTrace {
	if f := s.order.Front(); f != nil {
		return f.Value.(*openTrace)
	}
	return nil
}

// remove takes a trace out of the store and remembers its ID, so spans that
// come later are recognised as late.
func (s *store) remove(t *openTrace, mark uint64) {
	s.order.Remove(t.elem)
	delete(s.open, t.id)
	s.openSpans -= len(t.spans)
	s.recent.put(t.id, mark)
}

// recentSet remembers recently closed trace IDs, so that a span arriving
// after its trace closed is counted as late rather than passing for a new
// trace. It forgets an ID a window of trace time after the close, and keeps
// at most max, so its size follows the trace rate, not the input length.
type recentSet struct {
	max    int
	window uint64
	fifo   []closedTrace
	head   int
	set    map[pcommon.TraceID]struct{}
}

type closedTrace struct {
	id   pcommon.TraceID
	mark uint64
}

func newRecentSet(max int, window uint64) recentSet {
	return recentSet{max: max, window: window, set: map[pcommon.TraceID]struct{}{}}
}

func (r *recentSet) has(id pcommon.TraceID) bool {
	_, ok := r.set[id]
	return ok
}

func (r *recentSet) put(id pcommon.TraceID, mark uint64) {
	for r.head < len(r.fifo) && (len(r.set) >= r.max || r.fifo[r.head].mark+r.window < mark) {
		delete(r.set, r.fifo[r.head].id)
		r.head++
	}
	if r.head > len(r.fifo)/2 {
		r.fifo = append(r.fifo[:0], r.fifo[r.head:]...)
		r.head = 0
	}
	if r.max == 0 || r.has(id) {
		return
	}
	r.fifo = append(r.fifo, closedTrace{id: id, mark: mark})
	r.set[id] = struct{}{}
}
