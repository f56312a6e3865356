package topology

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fold applies the graph rules to one closed trace.
func (a *accumulator) fold(t *openTrace, mark uint64) {
	a.mark = mark
	if t.late {
		a.lateSpans += int64(len(t.spans))
	} else {
		a.traces++
	}
	spans := t.spans
	tree := a.scratchTree(spans)
	paired := a.scratchBools(len(spans))
	reached := a.scratchReached()
	var root *span
	for i := range spans {
		s := &spans[i]
		reached[s.service] = struct{}{}
		if s.parent.IsEmpty() {
			if root == nil || s.start < root.start {
				root = s
			}
			a.foldRoot(t.id, s)
			continue
		}
		pi, ok := tree.parentOf(s)
		if !ok {
			a.orphans++
			if receives(s.kind) {
				a.foldInbound(s)
			}
			if s.kind == ptrace.SpanKindConsumer {
				a.consume(t.id, s)
			}
			continue
		}
		p := &spans[pi]
		switch {
		case p.service != s.service, calls(p.kind) && receives(s.kind):
			paired[pi] = true
			a.foldCall(p, s)
			a.foldInbound(s)
		case calls(s.kind):
			// A client span nested in another of the same service (an HTTP
			// library under an SDK call): the innermost one speaks for both.
			paired[pi] = true
		case s.kind == ptrace.SpanKindConsumer:
			a.consume(t.id, s)
		}
	}
	for i := range spans {
		s := &spans[i]
		if s.kind == ptrace.SpanKindProducer {
			a.produce(t.id, s, paired[i])
		} else if s.kind == ptrace.SpanKindClient && !paired[i] {
			if name := a.foldUnpaired(s); name != "" {
				reached[name] = struct{}{}
			}
		}
	}
	if root != nil && !t.late {
		a.foldReach(root, reached)
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
func (a *accumulator) foldRoot(trace pcommon.TraceID, s *span) {
	switch s.kind {
	case ptrace.SpanKindServer, ptrace.SpanKindUnspecified:
		a.foldInbound(s)
		caller := a.userNode()
		if s.caller != "" && s.caller != s.service {
			caller = a.node(s.caller)
			caller.virtualKind(KindExternal)
		}
		kind := s.proto
		if kind == "" {
			kind = EdgeUnknown
		}
		a.edge(caller, a.service(s.service)).add(kind, s.durationMS(), s.failed)
	case ptrace.SpanKindConsumer:
		a.foldInbound(s)
		a.consume(trace, s)
	}
}

// foldCall records the call from parent p to child s in another service.
// The caller's CLIENT span, when there is one, measures the call as the
// caller saw it (network included); otherwise the callee's span does.
func (a *accumulator) foldCall(p, s *span) {
	kind, ms, failed := "", s.durationMS(), s.failed
	if calls(p.kind) {
		kind, ms, failed = p.proto, p.durationMS(), p.failed || s.failed
	}
	if kind == "" {
		kind = s.proto
	}
	if kind == "" {
		kind = EdgeUnknown
	}
	a.edge(a.service(p.service), a.service(s.service)).add(kind, ms, failed)
}

// foldInbound counts a request served by s's service.
func (a *accumulator) foldInbound(s *span) {
	n := a.service(s.service)
	if receives(s.kind) {
		n.receives = true
	}
	n.kinds |= 1 << (uint8(s.kind) & 7)
	n.stats.add(s.durationMS(), s.failed)
	n.operation(s.op, s.opBy, a.opt.MaxOperations).add(s.durationMS(), s.failed)
}

// foldUnpaired turns a CLIENT span that reached no instrumented service into
// a call to a virtual node, and returns that node's name ("" if none).
func (a *accumulator) foldUnpaired(s *span) string {
	if s.peer == nil || s.peer.name == s.service {
		a.unresolved++
		return ""
	}
	n := a.node(s.peer.name)
	n.virtualKind(s.peer.kind)
	if n.match == nil {
		n.match = s.peer.match
	}
	n.stats.add(s.durationMS(), s.failed)
	n.operation(s.op, s.opBy, a.opt.MaxOperations).add(s.durationMS(), s.failed)
	// The edge takes the node's kind: "external" says more to an on-call
	// engineer than the protocol the external API speaks.
	a.edge(a.service(s.service), n).add(s.peer.kind, s.durationMS(), s.failed)
	return n.name
}

// foldReach credits the trace's entry point to every node it reached.
func (a *accumulator) foldReach(root *span, reached map[string]struct{}) {
	name := root.service + ": " + root.op
	ep := a.entries[name]
	if ep == nil {
		if len(a.entries) >= a.opt.MaxEntryPoints {
			name = OtherName
			ep = a.entries[name]
		}
		if ep == nil {
			ep = &EntryPoint{Name: name, Service: root.service, Operation: root.op}
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
	if root.kind == ptrace.SpanKindServer || root.kind == ptrace.SpanKindUnspecified {
		a.userNode().reachedBy(name, a.opt.MaxEntryPoints)
	}
}
