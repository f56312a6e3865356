package topology

import (
	"container/list"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// openTrace holds the spans of one trace until it closes.
type openTrace struct {
	id    pcommon.TraceID
	spans []Span
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
	// recent remembers closed traces, so that spans coming later are
	// recognised as late rather than passing for a new trace.
	recent *expiring[pcommon.TraceID, struct{}]
	// free holds the span slices of closed traces for new ones: the
	// spans of every trace pass through here, and growing a fresh slice
	// for each was a fifth of all a read allocated.
	free [][]Span
}

// Bounds on the recycled slices: how many, and how large one may be.
const (
	maxFree      = 64
	maxFreeSpans = 4096
)

// recycle takes back the spans of a closed trace, once nothing reads them.
func (s *store) recycle(spans []Span) {
	if cap(spans) > maxFreeSpans || len(s.free) >= maxFree {
		return
	}
	clear(spans) // drop what the spans point to
	s.free = append(s.free, spans[:0])
}

func newStore(recentCap int, recentWindow uint64) *store {
	return &store{open: map[pcommon.TraceID]*openTrace{}, recent: newExpiring[pcommon.TraceID, struct{}](recentCap, recentWindow)}
}

// add files a span under its trace and marks the trace as just touched.
func (s *store) add(id pcommon.TraceID, sp *Span, mark uint64) {
	t := s.open[id]
	if t == nil {
		_, late := s.recent.get(id)
		t = &openTrace{id: id, late: late}
		if n := len(s.free); n > 0 {
			t.spans, s.free = s.free[n-1], s.free[:n-1]
		}
		t.elem = s.order.PushBack(t)
		s.open[id] = t
	} else {
		s.order.MoveToBack(t.elem)
	}
	t.spans = append(t.spans, *sp)
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
	s.recent.expire(mark)
	s.recent.put(t.id, struct{}{}, mark)
}
