package topology

import (
	"maps"
	"slices"
	"time"
)

// Node kinds. A service is a name that owns spans; the others are virtual
// nodes named from the attributes of the spans that call them, except that
// an instrumented database or cache (HotROD reports its redis as a service
// of CLIENT spans) keeps the kind its name says.
const (
	KindService   = "service"
	KindDatabase  = "database"
	KindCache     = "cache"
	KindMessaging = "messaging"
	KindExternal  = "external"
	KindUser      = "user"
)

// Edge kinds, from the attributes and span kinds of the calls.
const (
	EdgeHTTP      = "http"
	EdgeGRPC      = "grpc"
	EdgeRPC       = "rpc"
	EdgeDatabase  = "database"
	EdgeCache     = "cache"
	EdgeMessaging = "messaging"
	EdgeExternal  = "external"
	EdgeUnknown   = "unknown"
)

// Graph is the service dependency graph of a set of traces. Its JSON form is
// rbgen's public interface (`rbgen graph --format json`); fields are only
// ever added.
type Graph struct {
	Window Window `json:"window"`
	// Traces counts distinct traces closed; Spans every span read.
	Traces int64 `json:"traces"`
	Spans  int64 `json:"spans"`
	// OrphanSpans have a parent span ID that is not in their trace.
	OrphanSpans int64 `json:"orphan_spans"`
	// LateSpans arrived for a trace already closed by the horizon.
	LateSpans int64 `json:"late_spans"`
	// EvictedTraces were closed early because too many spans were open.
	EvictedTraces int64 `json:"evicted_traces"`
	// Environments counts the spans read per deployment.environment.name
	// (spans naming none are not counted); Environment is the one kept,
	// "" when all were.
	Environments map[string]int64 `json:"environments,omitempty"`
	Environment  string           `json:"environment,omitempty"`
	// UnresolvedClientSpans are unpaired CLIENT/PRODUCER spans with no
	// attribute naming their peer.
	UnresolvedClientSpans int64 `json:"unresolved_client_spans"`
	// StatsSource says where the nodes', edges' and operations' calls,
	// errors and latencies came from (StatsTraces, StatsTempoMetrics or
	// StatsPrometheus); the shape of the graph always comes from traces.
	StatsSource string `json:"stats_source"`
	// StatsWindow is the period those numbers cover: the query's range
	// for metrics, the traces' own window otherwise.
	StatsWindow Window `json:"stats_window"`
	// Sampled says the traces are a sample the source chose (a Tempo
	// search with a limit per window), not every trace there was.
	Sampled bool `json:"sampled,omitempty"`

	EntryPoints []EntryPoint `json:"entry_points"`
	Nodes       []Node       `json:"nodes"`
	Edges       []Edge       `json:"edges"`
	// Merged lists the nodes folded into others (aliases, addresses,
	// subnets, letter case), in the order it happened.
	Merged []Merge `json:"merged,omitempty"`

	// ix finds nodes and edges by name without a scan; made on the first
	// lookup and again whenever Nodes or Edges changed length. Lookups are
	// not safe for concurrent use.
	ix *graphIndex
}

type graphIndex struct {
	nodes, edges int
	byName       map[string]int
	from, to     map[string][]int
}

func (g *Graph) index() *graphIndex {
	if ix := g.ix; ix != nil && ix.nodes == len(g.Nodes) && ix.edges == len(g.Edges) {
		return ix
	}
	ix := &graphIndex{nodes: len(g.Nodes), edges: len(g.Edges), byName: make(map[string]int, len(g.Nodes)),
		from: map[string][]int{}, to: map[string][]int{}}
	for i, n := range g.Nodes {
		if _, dup := ix.byName[n.Name]; !dup {
			ix.byName[n.Name] = i
		}
	}
	for i, e := range g.Edges {
		ix.from[e.From] = append(ix.from[e.From], i)
		ix.to[e.To] = append(ix.to[e.To], i)
	}
	g.ix = ix
	return ix
}

// Where a graph's numbers came from.
const (
	// StatsTraces: counted in the traces read.
	StatsTraces = "traces"
	// StatsTempoMetrics: Tempo's TraceQL metrics over every span it holds.
	StatsTempoMetrics = "tempo-metrics"
	// StatsPrometheus: the span-metrics and service-graph series.
	StatsPrometheus = "prometheus"
)

// Window is the span time covered, from the earliest start to the latest end.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Stats are the call statistics shared by nodes, edges and operations.
type Stats struct {
	Calls  int64   `json:"calls"`
	Errors int64   `json:"errors"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	// Source is set where these numbers came from elsewhere than the
	// graph's StatsSource says: the traces, for what a metrics source
	// did not measure.
	Source string `json:"stats_source,omitempty"`
}

// ErrorRatio is errors over calls, 0 without calls.
func (s Stats) ErrorRatio() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Calls)
}

// Node is a service or a virtual node. Its stats are of the requests it
// serves: its inbound spans, or for a virtual node the calls made to it.
type Node struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Virtual nodes own no spans: they are seen only from their callers.
	Virtual bool `json:"virtual"`
	// SpanKinds are the OTLP kinds of the spans it serves requests on
	// (SPAN_KIND_SERVER, …; SPAN_KIND_UNSPECIFIED in data without kinds).
	SpanKinds []string `json:"span_kinds,omitempty"`
	// Namespace is the service.namespace its spans report, if any.
	Namespace string `json:"namespace,omitempty"`
	// System is the database or messaging system (db.system.name,
	// messaging.system) its callers name, normalised by System.
	System string `json:"system,omitempty"`
	// Match lists the client-span attributes that named a virtual node
	// (a key ending in " host" matches the host of that URL attribute).
	Match []Attr `json:"match,omitempty"`
	Stats
	// Operations are ranked by calls, then by name.
	Operations []Operation `json:"operations"`
	// EntryPoints are the entry points whose traces reach this node, ranked
	// by traces: the node's blast radius.
	EntryPoints []EntryPointShare `json:"entry_points"`
	// Versions are the service.version values its spans reported, by
	// first seen; Workloads the Kubernetes workloads they came from, by
	// spans; Hosts the first host.name values, sorted.
	Versions  []Version  `json:"versions,omitempty"`
	Workloads []Workload `json:"workloads,omitempty"`
	Hosts     []string   `json:"hosts,omitempty"`
}

// Operation is one server operation of a node: the HTTP route, the RPC
// method or the span name.
type Operation struct {
	Name string `json:"name"`
	// Match selects the operation's spans: http.route, rpc.service and
	// rpc.method, or "name" for the span name.
	Match []Attr `json:"match"`
	Stats
	// Failures are the most frequent failure patterns of its failed
	// spans; OtherFailures counts the failed spans in no listed pattern.
	Failures      []Failure `json:"failures,omitempty"`
	OtherFailures int64     `json:"other_failures,omitempty"`
}

// Attr is an attribute key and value.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// EntryPoint is where traces start: the root span's service and operation.
type EntryPoint struct {
	Name      string `json:"name"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Traces    int64  `json:"traces"`
}

// EntryPointShare counts the traces of one entry point that reach a node.
type EntryPointShare struct {
	Name   string `json:"name"`
	Traces int64  `json:"traces"`
}

// Edge is a dependency: From calls To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Kind string `json:"kind"`
	Stats
	// Failures are the most frequent failure patterns of its failed
	// calls, as the callee's span says them (else the caller's).
	Failures      []Failure `json:"failures,omitempty"`
	OtherFailures int64     `json:"other_failures,omitempty"`
}

// Node returns the node with the given name.
func (g *Graph) Node(name string) (Node, bool) {
	if i, ok := g.index().byName[name]; ok && g.Nodes[i].Name == name {
		return g.Nodes[i], true
	}
	return Node{}, false
}

// Downstream returns the edges leaving name, in the graph's order.
func (g *Graph) Downstream(name string) []Edge { return g.edgesAt(g.index().from[name]) }

// Upstream returns the edges entering name, in the graph's order.
func (g *Graph) Upstream(name string) []Edge { return g.edgesAt(g.index().to[name]) }

func (g *Graph) edgesAt(at []int) []Edge {
	var out []Edge
	for _, i := range at {
		out = append(out, g.Edges[i])
	}
	return out
}

// Neighbourhood is the part of the graph around name: the node, the edges
// into and out of it, and the nodes at their other ends, in the graph's
// order.
func (g *Graph) Neighbourhood(name string) *Graph {
	ix := g.index()
	sub := &Graph{Window: g.Window, StatsSource: g.StatsSource, StatsWindow: g.StatsWindow, Sampled: g.Sampled}
	at := append(append([]int(nil), ix.from[name]...), ix.to[name]...)
	slices.Sort(at)
	at = slices.Compact(at)
	keep := map[int]bool{}
	if i, ok := ix.byName[name]; ok {
		keep[i] = true
	}
	for _, i := range at {
		e := g.Edges[i]
		sub.Edges = append(sub.Edges, e)
		for _, end := range []string{e.From, e.To} {
			if j, ok := ix.byName[end]; ok {
				keep[j] = true
			}
		}
	}
	for _, i := range slices.Sorted(maps.Keys(keep)) {
		sub.Nodes = append(sub.Nodes, g.Nodes[i])
	}
	return sub
}
