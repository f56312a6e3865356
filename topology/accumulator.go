package topology

import (
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// accumulator holds everything that outlives a trace: bounded by nodes,
// edges, operations, entry points and the capped messaging maps.
type accumulator struct {
	opt     Options
	nodes   map[string]*nodeAcc
	user    *nodeAcc // the uninstrumented caller; named at the end
	edges   map[edgeKey]*edgeAcc
	entries map[string]*EntryPoint
	msg     messaging

	traces, spans, orphans, lateSpans, evicted, unresolved int64
	minStart, maxEnd                                       uint64
	mark                                                   uint64          // watermark at the current fold
	trace                                                  pcommon.TraceID // the trace being folded

	reached map[string]struct{}
	// addrNames maps addresses to the names other spans give them; merged
	// lists the nodes folded into others.
	addrNames map[string]string
	merged    []Merge
	resources map[string]*attrSet
	tagSets   map[string]*attrSet
}

func newAccumulator(opt Options) *accumulator {
	a := &accumulator{
		opt:       opt,
		nodes:     map[string]*nodeAcc{},
		edges:     map[edgeKey]*edgeAcc{},
		entries:   map[string]*EntryPoint{},
		msg:       newMessaging(opt.MaxLinks, uint64(opt.LinkWindow)),
		reached:   map[string]struct{}{},
		addrNames: map[string]string{},
		resources: map[string]*attrSet{},
		tagSets:   map[string]*attrSet{},
	}
	a.msg.waiting.drop = a.giveUp
	return a
}

// seeSpan counts a span as it arrives; the window covers every span read.
func (a *accumulator) seeSpan(s *Span) {
	a.spans++
	if s.Start != 0 && (a.minStart == 0 || s.Start < a.minStart) {
		a.minStart = s.Start
	}
	if s.End > a.maxEnd {
		a.maxEnd = s.End
	}
	// A service is a node as soon as it owns a span, even one that serves
	// nothing (a cron job's root INTERNAL span).
	n := a.service(s.Service)
	if s.namespace != "" && (n.namespace == "" || s.namespace < n.namespace) {
		n.namespace = s.namespace
	}
}

func (a *accumulator) scratchReached() map[string]struct{} {
	clear(a.reached)
	return a.reached
}

// Tally accumulates calls, errors and latency: a node's, an edge's or an
// operation's in the graph, and the same in an incident profile.
type Tally struct {
	Calls, Errors int64
	Latency       Latency
}

// NewTally returns an empty tally.
func NewTally() Tally { return Tally{Latency: NewLatency()} }

// Add counts one call of ms milliseconds.
func (c *Tally) Add(ms float64, failed bool) {
	c.Calls++
	if failed {
		c.Errors++
	}
	c.Latency.Add(ms)
}

// Merge adds o's calls to c.
func (c *Tally) Merge(o *Tally) {
	c.Calls += o.Calls
	c.Errors += o.Errors
	c.Latency.Merge(o.Latency)
}

// Stats is the tally as the graph reports it.
func (c *Tally) Stats() Stats {
	return Stats{Calls: c.Calls, Errors: c.Errors,
		P50MS: c.Latency.Quantile(0.50), P95MS: c.Latency.Quantile(0.95), P99MS: c.Latency.Quantile(0.99)}
}

type nodeAcc struct {
	name      string
	namespace string
	match     []Attr
	owns      bool   // a service that owns spans
	vkind     string // kind seen by callers, for virtual nodes
	receives  bool   // has SERVER or CONSUMER spans
	kinds     uint8  // bit per ptrace.SpanKind of its inbound spans
	stats     Tally
	ops       map[string]*opAcc
	reach     map[string]int64
	versions  map[string]*versionAcc
	workloads map[workloadKey]*workloadAcc
	hosts     map[string]struct{}
	ip        string // the address a virtual node is named after, if only that
	system    string // the database or messaging system its callers name
}

func newNodeAcc(name string) *nodeAcc {
	return &nodeAcc{name: name, stats: NewTally(), ops: map[string]*opAcc{}, reach: map[string]int64{},
		versions: map[string]*versionAcc{}, workloads: map[workloadKey]*workloadAcc{}, hosts: map[string]struct{}{}}
}

// service returns the node of a service that owns spans.
func (a *accumulator) service(name string) *nodeAcc {
	n := a.node(name)
	n.owns = true
	return n
}

// node returns the node with the given name, creating a virtual one. A
// virtual node that a span later shows to be a service merges with it: a
// client's peer.service naming an instrumented service is that service.
func (a *accumulator) node(name string) *nodeAcc {
	n := a.nodes[name]
	if n == nil {
		n = newNodeAcc(name)
		a.nodes[name] = n
	}
	return n
}

func (a *accumulator) userNode() *nodeAcc {
	if a.user == nil {
		a.user = newNodeAcc("")
		a.user.vkind = KindUser
	}
	return a.user
}

// kindRank orders the kinds callers may disagree on: a specific datastore
// beats a generic external peer, so the answer does not depend on order.
var kindRank = map[string]int{"": 0, KindExternal: 1, KindMessaging: 2, KindDatabase: 3, KindCache: 4}

func (n *nodeAcc) virtualKind(k string) {
	if kindRank[k] > kindRank[n.vkind] {
		n.vkind = k
	}
}

// opAcc is one operation's statistics and how to select its spans.
type opAcc struct {
	Tally
	match []Attr
	fails failAcc
}

func (n *nodeAcc) operation(name string, by uint8, max int) *opAcc {
	op := n.ops[name]
	if op == nil {
		match := opMatch(name, by)
		if len(n.ops) >= max {
			name, match = OtherName, nil
			op = n.ops[name]
		}
		if op == nil {
			op = &opAcc{Tally: NewTally(), match: match}
			n.ops[name] = op
		}
	}
	return op
}

func (n *nodeAcc) reachedBy(entry string, max int) {
	if _, ok := n.reach[entry]; !ok && len(n.reach) >= max {
		entry = OtherName
	}
	n.reach[entry]++
}

// kind decides what a node is. A service that never serves a request and is
// named like a datastore (HotROD's "redis" and "mysql" services of CLIENT
// spans) is that datastore.
func (n *nodeAcc) kind() string {
	if !n.owns {
		if n.vkind == "" {
			return KindExternal
		}
		return n.vkind
	}
	if !n.receives {
		if k, ok := kindOfName(n.name); ok {
			return k
		}
	}
	return KindService
}

type edgeKey struct{ from, to *nodeAcc }

type edgeAcc struct {
	key   edgeKey
	kinds map[string]int64
	stats Tally
	fails failAcc
}

func (a *accumulator) edge(from, to *nodeAcc) *edgeAcc {
	k := edgeKey{from, to}
	e := a.edges[k]
	if e == nil {
		e = &edgeAcc{key: k, kinds: map[string]int64{}, stats: NewTally()}
		a.edges[k] = e
	}
	return e
}

func (e *edgeAcc) add(kind string, ms float64, failed bool) {
	e.kinds[kind]++
	e.stats.Add(ms, failed)
}

// kind is the most frequent known kind of the edge's calls, ties broken by
// name; an edge whose calls say nothing takes the kind of its target.
func (e *edgeAcc) kind(target string) string {
	best, bestN := "", int64(-1)
	for k, n := range e.kinds {
		// An unpaired call whose peer.service names an instrumented
		// service was counted as external; the target knows better.
		if k == EdgeUnknown || (k == EdgeExternal && target == KindService) {
			continue
		}
		if n > bestN || (n == bestN && k < best) {
			best, bestN = k, n
		}
	}
	if best != "" {
		return best
	}
	switch target {
	case KindDatabase, KindCache, KindMessaging, KindExternal:
		return target
	}
	return EdgeUnknown
}

// userName picks the uninstrumented caller's name: "user", unless a real
// service is called that (Robot Shop has one).
func (a *accumulator) userName() string {
	for _, name := range []string{"user", "user (uninstrumented)"} {
		if _, taken := a.nodes[name]; !taken {
			return name
		}
	}
	return "user (uninstrumented caller)"
}

func (a *accumulator) graph() *Graph {
	a.msg.settle(a)
	a.settleIdentity()
	if a.user != nil {
		a.user.name = a.userName()
		a.nodes[a.user.name] = a.user
	}
	g := &Graph{
		Traces: a.traces, Spans: a.spans, OrphanSpans: a.orphans, LateSpans: a.lateSpans,
		EvictedTraces: a.evicted, UnresolvedClientSpans: a.unresolved,
		EntryPoints: []EntryPoint{}, Nodes: []Node{}, Edges: []Edge{}, StatsSource: StatsTraces,
	}
	if a.minStart != 0 {
		g.Window = Window{Start: unixNano(a.minStart), End: unixNano(a.maxEnd)}
	}
	g.StatsWindow = g.Window
	for _, ep := range a.entries {
		g.EntryPoints = append(g.EntryPoints, *ep)
	}
	sort.Slice(g.EntryPoints, func(i, j int) bool {
		x, y := g.EntryPoints[i], g.EntryPoints[j]
		return x.Traces > y.Traces || (x.Traces == y.Traces && x.Name < y.Name)
	})
	for _, n := range a.nodes {
		x := n.export()
		for i, ep := range x.EntryPoints {
			// A trace that reached two nodes now merged counts once.
			if e := a.entries[ep.Name]; e != nil && ep.Traces > e.Traces {
				x.EntryPoints[i].Traces = e.Traces
			}
		}
		g.Nodes = append(g.Nodes, x)
	}
	g.Merged = a.merged
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].Name < g.Nodes[j].Name })
	for _, e := range a.edges {
		fails, other := e.fails.export()
		g.Edges = append(g.Edges, Edge{From: e.key.from.name, To: e.key.to.name,
			Kind: e.kind(e.key.to.kind()), Stats: e.stats.Stats(), Failures: fails, OtherFailures: other})
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		x, y := g.Edges[i], g.Edges[j]
		return x.From < y.From || (x.From == y.From && x.To < y.To)
	})
	return g
}

func (n *nodeAcc) export() Node {
	out := Node{Name: n.name, Kind: n.kind(), Virtual: !n.owns, Namespace: n.namespace, Stats: n.stats.Stats(),
		Operations: []Operation{}, EntryPoints: []EntryPointShare{}, System: n.system}
	if out.System == "" && out.Kind != KindService && out.Kind != KindUser && out.Kind != KindExternal {
		// An instrumented datastore named like one (HotROD's "redis").
		if _, ok := systemKinds[strings.ToLower(leadingWord(n.name))]; ok {
			out.System = System(leadingWord(n.name))
		}
	}
	if !n.owns {
		out.Match = n.match
	}
	for k := 0; k < 8; k++ {
		if n.kinds&(1<<k) != 0 {
			out.SpanKinds = append(out.SpanKinds, kindNames[k])
		}
	}
	for name, op := range n.ops {
		match := op.match
		if match == nil {
			match = []Attr{}
		}
		fails, other := op.fails.export()
		out.Operations = append(out.Operations, Operation{Name: name, Match: match, Stats: op.Stats(),
			Failures: fails, OtherFailures: other})
	}
	sort.Slice(out.Operations, func(i, j int) bool {
		x, y := out.Operations[i], out.Operations[j]
		return x.Calls > y.Calls || (x.Calls == y.Calls && x.Name < y.Name)
	})
	for name, c := range n.reach {
		out.EntryPoints = append(out.EntryPoints, EntryPointShare{Name: name, Traces: c})
	}
	sort.Slice(out.EntryPoints, func(i, j int) bool {
		x, y := out.EntryPoints[i], out.EntryPoints[j]
		return x.Traces > y.Traces || (x.Traces == y.Traces && x.Name < y.Name)
	})
	n.exportReleases(&out)
	return out
}

// kindNames are the OTLP enum names, indexed by ptrace.SpanKind.
var kindNames = [8]string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
	"SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER", "SPAN_KIND_6", "SPAN_KIND_7"}
