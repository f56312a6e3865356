package topology

// expiring is a map whose entries expire a span of trace time after they
// were put, holding at most max of them (the oldest go first). It is how
// the builder remembers closed traces, producer spans and consumers waiting
// for their producer without its memory growing with the input.
type expiring[K comparable, V any] struct {
	max    int
	window uint64
	// drop, if set, receives every entry that expires or is pushed out by
	// the cap (not those deleted), so that nothing leaves uncounted.
	drop  func(K, V)
	items map[K]stamped[V]
	fifo  []keyMark[K]
	head  int
}

type stamped[V any] struct {
	v    V
	mark uint64
}

type keyMark[K comparable] struct {
	key  K
	mark uint64
}

func newExpiring[K comparable, V any](max int, window uint64) *expiring[K, V] {
	return &expiring[K, V]{max: max, window: window, items: map[K]stamped[V]{}}
}

func (e *expiring[K, V]) get(k K) (V, bool) {
	s, ok := e.items[k]
	return s.v, ok
}

func (e *expiring[K, V]) len() int { return len(e.items) }

// put adds or replaces an entry; a replaced entry keeps its original time.
func (e *expiring[K, V]) put(k K, v V, mark uint64) {
	if e.max == 0 {
		return
	}
	if s, ok := e.items[k]; ok {
		e.items[k] = stamped[V]{v: v, mark: s.mark}
		return
	}
	for len(e.items) >= e.max {
		e.pop()
	}
	e.items[k] = stamped[V]{v: v, mark: mark}
	e.fifo = append(e.fifo, keyMark[K]{key: k, mark: mark})
}

func (e *expiring[K, V]) delete(k K) { delete(e.items, k) }

// expire drops the entries put more than the window before mark.
func (e *expiring[K, V]) expire(mark uint64) {
	for e.head < len(e.fifo) && e.fifo[e.head].mark+e.window < mark {
		e.pop()
	}
}

// pop removes the oldest entry. A key deleted and put again has a newer
// stamp, so the stale one is skipped.
func (e *expiring[K, V]) pop() {
	if e.head >= len(e.fifo) {
		return
	}
	km := e.fifo[e.head]
	e.head++
	if s, ok := e.items[km.key]; ok && s.mark == km.mark {
		delete(e.items, km.key)
		if e.drop != nil {
			e.drop(km.key, s.v)
		}
	}
	if e.head > len(e.fifo)/2 {
		e.fifo = append(e.fifo[:0], e.fifo[e.head:]...)
		e.head = 0
	}
}

// each visits every entry, in no order.
func (e *expiring[K, V]) each(fn func(K, V)) {
	for k, s := range e.items {
		fn(k, s.v)
	}
}
