package topology

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Messaging connects a producer's service straight to each consumer's, even
// when the consumer runs in another trace: through a span link to the
// producer span, or else through a shared messaging.destination.name.
// There is no topic node between them: a runbook wants "checkout's orders
// reach fulfillment", and the destination is a property of the call. Only a
// producer that no consumer is seen for gets a virtual broker node.

// maxDestinations caps the destinations tracked; reply-to queues and
// per-tenant topics can be unbounded.
const maxDestinations = 1000

type producerRef struct{ service, dest string }

type consumerCall struct {
	service, dest string
	ms            float64
	failed        bool
}

type unpairedKey struct {
	service, dest, peer, peerKind string
}

type messaging struct {
	max       int
	window    uint64
	producers map[spanKey]producerRef
	fifo      []rememberedProducer
	head      int
	waiting   map[spanKey][]consumerCall
	nwaiting  int
	waitFifo  []rememberedProducer // the links consumers wait on, oldest first
	waitHead  int
	// Consumers matched by destination once everything is read.
	byDest      map[string]map[string]*callStats
	producersOf map[string]map[string]struct{}
	consumed    map[producerRef]struct{}
	unpaired    map[unpairedKey]*callStats
}

type rememberedProducer struct {
	key  spanKey
	mark uint64
}

func newMessaging(max int, window uint64) messaging {
	return messaging{
		max:         max,
		window:      window,
		producers:   map[spanKey]producerRef{},
		waiting:     map[spanKey][]consumerCall{},
		byDest:      map[string]map[string]*callStats{},
		producersOf: map[string]map[string]struct{}{},
		consumed:    map[producerRef]struct{}{},
		unpaired:    map[unpairedKey]*callStats{},
	}
}

// remember keeps a producer span for links for a window of trace time,
// forgetting the oldest early at the cap.
func (m *messaging) remember(k spanKey, ref producerRef, mark uint64) {
	for m.head < len(m.fifo) && (len(m.producers) >= m.max || m.fifo[m.head].mark+m.window < mark) {
		delete(m.producers, m.fifo[m.head].key)
		m.head++
	}
	if m.head > len(m.fifo)/2 {
		m.fifo = append(m.fifo[:0], m.fifo[m.head:]...)
		m.head = 0
	}
	if m.max == 0 {
		return
	}
	m.fifo = append(m.fifo, rememberedProducer{key: k, mark: mark})
	m.producers[k] = ref
}

func destKey(dest string, tracked int) string {
	if tracked >= maxDestinations {
		return OtherName
	}
	return dest
}

// consume handles a CONSUMER span that no producer span in its own trace
// explains.
func (a *accumulator) consume(trace pcommon.TraceID, s *span) {
	c := consumerCall{service: s.service, dest: s.dest, ms: s.durationMS(), failed: s.failed}
	for _, l := range s.links {
		if ref, ok := a.msg.producers[l]; ok {
			a.linked(ref, c)
			return
		}
	}
	a.expireWaiting()
	if len(s.links) > 0 && a.msg.nwaiting < a.msg.max {
		k := s.links[0]
		a.msg.waiting[k] = append(a.msg.waiting[k], c)
		a.msg.waitFifo = append(a.msg.waitFifo, rememberedProducer{key: k, mark: a.mark})
		a.msg.nwaiting++
		return
	}
	a.byDestination(c)
}

// expireWaiting gives up on links whose producer has not come within the
// window: those consumers fall back to matching by destination.
func (a *accumulator) expireWaiting() {
	m := &a.msg
	for m.waitHead < len(m.waitFifo) && m.waitFifo[m.waitHead].mark+m.window < a.mark {
		k := m.waitFifo[m.waitHead].key
		m.waitHead++
		for _, c := range m.waiting[k] {
			a.byDestination(c)
		}
		m.nwaiting -= len(m.waiting[k])
		delete(m.waiting, k)
	}
	if m.waitHead > len(m.waitFifo)/2 {
		m.waitFifo = append(m.waitFifo[:0], m.waitFifo[m.waitHead:]...)
		m.waitHead = 0
	}
}

func (a *accumulator) linked(ref producerRef, c consumerCall) {
	a.msg.consumed[ref] = struct{}{}
	a.edge(a.service(ref.service), a.service(c.service)).add(EdgeMessaging, c.ms, c.failed)
}

func (a *accumulator) byDestination(c consumerCall) {
	if c.dest == "" {
		a.unresolved++
		return
	}
	m := &a.msg
	dest := c.dest
	if _, ok := m.byDest[dest]; !ok {
		dest = destKey(dest, len(m.byDest))
	}
	cs := m.byDest[dest]
	if cs == nil {
		cs = map[string]*callStats{}
		m.byDest[dest] = cs
	}
	st := cs[c.service]
	if st == nil {
		s := newCallStats()
		st = &s
		cs[c.service] = st
	}
	st.add(c.ms, c.failed)
}

// produce handles a PRODUCER span; paired says a consumer in another
// service is its child in the same trace.
func (a *accumulator) produce(trace pcommon.TraceID, s *span, paired bool) {
	m := &a.msg
	ref := producerRef{service: s.service, dest: s.dest}
	key := spanKey{trace: trace, span: s.id}
	m.remember(key, ref, a.mark)
	if w, ok := m.waiting[key]; ok {
		for _, c := range w {
			a.linked(ref, c)
		}
		m.nwaiting -= len(w)
		delete(m.waiting, key)
	}
	if s.dest != "" {
		dest := s.dest
		if _, ok := m.producersOf[dest]; !ok {
			dest = destKey(dest, len(m.producersOf))
		}
		if m.producersOf[dest] == nil {
			m.producersOf[dest] = map[string]struct{}{}
		}
		m.producersOf[dest][s.service] = struct{}{}
	}
	if paired {
		m.consumed[ref] = struct{}{}
		return
	}
	k := unpairedKey{service: s.service, dest: s.dest}
	if s.peer != nil {
		k.peer, k.peerKind = s.peer.name, s.peer.kind
	}
	st := m.unpaired[k]
	if st == nil {
		cs := newCallStats()
		st = &cs
		m.unpaired[k] = st
	}
	st.add(s.durationMS(), s.failed)
}

// settle resolves what only the whole input can: consumers matched by
// destination, and producers nobody was seen consuming from.
func (m *messaging) settle(a *accumulator) {
	for _, w := range m.waiting {
		for _, c := range w {
			a.byDestination(c)
		}
	}
	m.waiting = map[spanKey][]consumerCall{}
	for dest, consumers := range m.byDest {
		producers := m.producersOf[dest]
		for svc, st := range consumers {
			to := a.service(svc)
			if len(producers) == 0 {
				from := a.node(dest)
				from.virtualKind(KindMessaging)
				if from.match == nil {
					from.match = []Attr{{Key: "messaging.destination.name", Value: dest}}
				}
				a.edge(from, to).merge(EdgeMessaging, st)
				continue
			}
			for p := range producers {
				m.consumed[producerRef{service: p, dest: dest}] = struct{}{}
				a.edge(a.service(p), to).merge(EdgeMessaging, st)
			}
		}
	}
	for k, st := range m.unpaired {
		if _, ok := m.consumed[producerRef{service: k.service, dest: k.dest}]; ok {
			continue
		}
		name := k.peer
		if name == "" || name == k.service {
			name = k.dest
		}
		if name == "" {
			a.unresolved += st.calls
			continue
		}
		n := a.node(name)
		n.virtualKind(KindMessaging)
		if n.match == nil && k.dest != "" {
			n.match = []Attr{{Key: "messaging.destination.name", Value: k.dest}}
		}
		n.stats.merge(st)
		a.edge(a.service(k.service), n).merge(EdgeMessaging, st)
	}
}

func (e *edgeAcc) merge(kind string, st *callStats) {
	e.kinds[kind] += st.calls
	e.stats.merge(st)
}

func unixNano(ns uint64) time.Time {
	return time.Unix(0, int64(ns)).UTC()
}
