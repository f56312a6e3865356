package topology

import "go.opentelemetry.io/collector/pdata/pcommon"

// tree finds a span's parent within its trace. Span IDs are unique in a
// well-behaved trace, but Zipkin's shared spans give the client and server
// halves of one call the same ID, and converters do not always split them;
// so an ID may name several spans, chained through next.
type tree struct {
	spans []span
	first map[pcommon.SpanID]int
	next  []int
}

func (t *tree) index(spans []span) {
	t.spans = spans
	clear(t.first)
	if cap(t.next) < len(spans) {
		t.next = make([]int, len(spans))
	}
	t.next = t.next[:len(spans)]
	for i := len(spans) - 1; i >= 0; i-- {
		t.next[i] = -1
		if j, ok := t.first[spans[i].id]; ok {
			t.next[i] = j
		}
		t.first[spans[i].id] = i
	}
}

// parentOf returns the index of s's parent. When the parent ID is shared,
// a span that serves a request belongs under the half that made the call
// from another service; any other span under the half in its own service.
func (t *tree) parentOf(s *span) (int, bool) {
	i, ok := t.first[s.parent]
	if !ok || t.next[i] < 0 {
		return i, ok
	}
	best := i
	for j := i; j >= 0; j = t.next[j] {
		c := &t.spans[j]
		if c == s {
			continue
		}
		if receives(s.kind) && calls(c.kind) && c.service != s.service {
			return j, true
		}
		if !receives(s.kind) && c.service == s.service {
			best = j
		}
	}
	return best, true
}
