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
	// producers are producer spans a consumer may link to; waiting are
	// consumers whose linked producer has not been seen yet.
	producers *expiring[spanKey, producerRef]
	waiting   *expiring[spanKey, []consumerCall]
	// Consumers matched by destination once everything is read.
	byDest      map[string]map[string]*Tally
	producersOf map[string]map[string]struct{}
	consumed    map[producerRef]struct{}
	unpaired    map[unpairedKey]*Tally
}

func newMessaging(max int, window uint64) messaging {
	return messaging{
		producers:   newExpiring[spanKey, producerRef](max, window),
		waiting:     newExpiring[spanKey, []consumerCall](max, window),
		byDest:      map[string]map[string]*Tally{},
		producersOf: map[string]map[string]struct{}{},
		consumed:    map[producerRef]struct{}{},
		unpaired:    map[unpairedKey]*Tally{},
	}
}

func destKey(dest string, tracked int) string {
	if tracked >= maxDestinations {
		return OtherName
	}
	return dest
}

// consume handles a CONSUMER span that no producer span in its own trace
// explains.
func (a *accumulator) consume(trace pcommon.TraceID, s *Span) {
	c := consumerCall{service: s.Service, dest: s.dest, ms: s.DurationMS(), failed: s.Failed}
	for _, l := range s.links {
		if ref, ok := a.msg.producers.get(l); ok {
			a.linked(ref, c)
			return
		}
	}
	// Links whose producer has not come within the window give up: those
	// consumers fall back to matching by destination.
	a.msg.waiting.expire(a.mark)
	if len(s.links) > 0 {
		k := s.links[0]
		w, _ := a.msg.waiting.get(k)
		a.msg.waiting.put(k, append(w, c), a.mark)
		return
	}
	a.byDestination(c)
}

func (a *accumulator) giveUp(_ spanKey, w []consumerCall) {
	for _, c := range w {
		a.byDestination(c)
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
		cs = map[string]*Tally{}
		m.byDest[dest] = cs
	}
	st := cs[c.service]
	if st == nil {
		s := NewTally()
		st = &s
		cs[c.service] = st
	}
	st.Add(c.ms, c.failed)
}

// produce handles a PRODUCER span; paired says a consumer in another
// service is its child in the same trace.
func (a *accumulator) produce(trace pcommon.TraceID, s *Span, paired bool) {
	m := &a.msg
	ref := producerRef{service: s.Service, dest: s.dest}
	key := spanKey{trace: trace, span: s.ID}
	m.producers.expire(a.mark)
	m.producers.put(key, ref, a.mark)
	if w, ok := m.waiting.get(key); ok {
		for _, c := range w {
			a.linked(ref, c)
		}
		m.waiting.delete(key)
	}
	if s.dest != "" {
		dest := s.dest
		if _, ok := m.producersOf[dest]; !ok {
			dest = destKey(dest, len(m.producersOf))
		}
		if m.producersOf[dest] == nil {
			m.producersOf[dest] = map[string]struct{}{}
		}
		m.producersOf[dest][s.Service] = struct{}{}
	}
	if paired {
		m.consumed[ref] = struct{}{}
		return
	}
	k := unpairedKey{service: s.Service, dest: s.dest}
	if s.Peer != nil {
		k.peer, k.peerKind = s.Peer.Name, s.Peer.Kind
	}
	st := m.unpaired[k]
	if st == nil {
		cs := NewTally()
		st = &cs
		m.unpaired[k] = st
	}
	st.Add(s.DurationMS(), s.Failed)
}

// settle resolves what only the whole input can: consumers matched by
// destination, and producers nobody was seen consuming from.
func (m *messaging) settle(a *accumulator) {
	m.waiting.each(a.giveUp)
	m.waiting = newExpiring[spanKey, []consumerCall](0, 0)
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
			a.unresolved += st.Calls
			continue
		}
		n := a.node(name)
		n.virtualKind(KindMessaging)
		if n.match == nil && k.dest != "" {
			n.match = []Attr{{Key: "messaging.destination.name", Value: k.dest}}
		}
		n.stats.Merge(st)
		a.edge(a.service(k.service), n).merge(EdgeMessaging, st)
	}
}

func (e *edgeAcc) merge(kind string, st *Tally) {
	e.kinds[kind] += st.Calls
	e.stats.Merge(st)
}

func unixNano(ns uint64) time.Time {
	return time.Unix(0, int64(ns)).UTC()
}
