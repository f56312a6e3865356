package topology

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fold applies the graph rules to one closed trace.
func (a *accumulator) fold(t *Trace, mark uint64) {
	a.mark, a.trace = mark, t.ID
	if t.Late {
		a.lateSpans += int64(len(t.Spans))
	} else {
		a.traces++
	}
	spans := t.Spans
	reached := a.scratchReached()
	for i := range spans {
		s := &spans[i]
		reached[s.Service] = struct{}{}
		if s.Parent.IsEmpty() {
			a.foldRoot(t.ID, s)
			continue
		}
		p, enters := t.Parent[i], t.Enters(i)
		if p < 0 {
			a.orphans++
		} else if enters {
			a.foldCall(&spans[p], s, &spans[t.TimedBy(i)])
		}
		if enters {
			a.foldInbound(s)
		}
		if s.Kind == ptrace.SpanKindConsumer && (p < 0 || !enters) {
			a.consume(t.ID, s)
		}
	}
	for i := range spans {
		s := &spans[i]
		if s.Kind == ptrace.SpanKindProducer {
			a.produce(t.ID, s, t.paired[i])
		} else if peer := t.Callee(i); peer != nil {
			reached[a.foldUnpaired(s, peer)] = struct{}{}
		} else if s.Kind == ptrace.SpanKindClient && !t.paired[i] {
			a.unresolved++
		}
	}
	if t.Root >= 0 && !t.Late {
		a.foldReach(&spans[t.Root], reached)
	}
}

// calls says the span makes an outgoing request; receives, that it serves one.
func calls(k ptrace.SpanKind) bool {
	return k == ptrace.SpanKindClient || k == ptrace.SpanKindProducer
}

func receives(k ptrace.SpanKind) bool {
	return k == ptrace.SpanKindServer || k == ptrace.SpanKindConsumer
}

// foldRoot handles a span with no parent: the trace's entry point, and for
// a request served (SERVER, or no kind at all as in the Nezha data) an edge
// from whoever sent it.
func (a *accumulator) foldRoot(trace pcommon.TraceID, s *Span) {
	switch s.Kind {
	case ptrace.SpanKindServer, ptrace.SpanKindUnspecified:
		a.foldInbound(s)
		caller := a.userNode()
		if s.caller != "" && s.caller != s.Service {
			caller = a.node(s.caller)
			caller.virtualKind(KindExternal)
		}
		kind := s.proto
		if kind == "" {
			kind = EdgeUnknown
		}
		e := a.edge(caller, a.service(s.Service))
		e.add(kind, s.DurationMS(), s.Failed)
		e.fails.add(trace, s)
	case ptrace.SpanKindConsumer:
		a.foldInbound(s)
		a.consume(trace, s)
	}
}

// foldCall records the call from parent p to child s in another service,
// timed by the span the trace view names (Trace.TimedBy).
func (a *accumulator) foldCall(p, s, timer *Span) {
	kind, ms, failed := "", timer.DurationMS(), s.Failed
	if timer == p {
		kind, failed = p.proto, p.Failed || s.Failed
	}
	if kind == "" {
		kind = s.proto
	}
	if kind == "" {
		kind = EdgeUnknown
	}
	e := a.edge(a.service(p.Service), a.service(s.Service))
	e.add(kind, ms, failed)
	if failed {
		e.fails.add(a.trace, blame(p, s))
	}
}

// blame is the span that says best why a call failed: the callee's, when
// it failed and says something, else the caller's.
func blame(p, s *Span) *Span {
	if s.fail != nil && (s.fail.message != "" || s.fail.typ != "") || p.fail == nil {
		return s
	}
	return p
}

// foldInbound counts a request served by s's service.
func (a *accumulator) foldInbound(s *Span) {
	n := a.service(s.Service)
	if receives(s.Kind) {
		n.receives = true
	}
	n.kinds |= 1 << (uint8(s.Kind) & 7)
	n.stats.Add(s.DurationMS(), s.Failed)
	op := n.operation(s.Op, s.opBy, a.opt.MaxOperations)
	op.Add(s.DurationMS(), s.Failed)
	op.fails.add(a.trace, s)
	if v := s.ver; v != nil {
		v.Requests++
		if s.Failed {
			v.Failed++
		}
	}
}

// foldUnpaired turns a CLIENT span that reached no instrumented service into
// a call to the virtual node its peer names, and returns that node's name.
func (a *accumulator) foldUnpaired(s *Span, peer *Peer) string {
	n := a.node(peer.Name)
	n.virtualKind(peer.Kind)
	if peer.system != "" && (n.system == "" || peer.system < n.system) {
		n.system = peer.system
	}
	if peer.ip != "" && !n.owns {
		n.ip = peer.ip
	}
	if peer.addr != "" && len(peer.match) > 0 {
		a.learnAddr(peer.addr, peer.match[0].Value)
	}
	if n.match == nil {
		n.match = peer.match
	}
	n.stats.Add(s.DurationMS(), s.Failed)
	op := n.operation(s.Op, s.opBy, a.opt.MaxOperations)
	op.Add(s.DurationMS(), s.Failed)
	op.fails.add(a.trace, s)
	// The edge takes the node's kind: "external" says more to an on-call
	// engineer than the protocol the external API speaks.
	e := a.edge(a.service(s.Service), n)
	e.add(peer.Kind, s.DurationMS(), s.Failed)
	e.fails.add(a.trace, s)
	return n.name
}

// foldReach credits the trace's entry point to every node it reached.
func (a *accumulator) foldReach(root *Span, reached map[string]struct{}) {
	name := root.Service + ": " + root.Op
	ep := a.entries[name]
	if ep == nil {
		if len(a.entries) >= a.opt.MaxEntryPoints {
			name = OtherName
			ep = a.entries[name]
		}
		if ep == nil {
			ep = &EntryPoint{Name: name, Service: root.Service, Operation: root.Op}
			if name == OtherName {
				ep.Service, ep.Operation = "", ""
			}
			a.entries[name] = ep
		}
	}
	ep.Traces++
	for svc := range reached {
		if n, ok := a.nodes[svc]; ok {
			n.reachedBy(name, a.opt.MaxEntryPoints)
		}
	}
	if root.Kind == ptrace.SpanKindServer || root.Kind == ptrace.SpanKindUnspecified {
		a.userNode().reachedBy(name, a.opt.MaxEntryPoints)
	}
}
