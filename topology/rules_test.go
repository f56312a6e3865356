package topology_test

import (
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

func TestEdgeRules(t *testing.T) {
	httpClient := map[string]any{"http.request.method": "GET", "server.address": "b"}
	cases := []struct {
		name  string
		spans []sp
		want  []string // every edge, sorted as the graph sorts them
	}{
		{
			name: "a client span with a server span under it in another service is one http edge",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "GET", Kind: client, Start: 1, Dur: 5, Attrs: httpClient},
				{Trace: "t", ID: "b1", Parent: "a2", Svc: "b", Name: "GET /x", Kind: server, Start: 2, Dur: 3},
			},
			want: []string{"a -> b (http)", "user -> a (unknown)"},
		},
		{
			name: "spans without any kind make an edge wherever the service changes",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "frontend", Name: "Recv", Kind: none, Dur: 10},
				{Trace: "t", ID: "b1", Parent: "a1", Svc: "cart", Name: "GetCart", Kind: none, Start: 1, Dur: 3},
				{Trace: "t", ID: "b2", Parent: "b1", Svc: "cart", Name: "load", Kind: none, Start: 1, Dur: 2},
				{Trace: "t", ID: "c1", Parent: "b2", Svc: "redis", Name: "HGET", Kind: none, Start: 1, Dur: 1},
			},
			want: []string{"cart -> redis (cache)", "frontend -> cart (unknown)", "user -> frontend (unknown)"},
		},
		{
			name: "a datastore reported as its own service of client spans is an edge to a datastore node",
			spans: []sp{
				{Trace: "t", ID: "d1", Svc: "driver", Name: "/FindNearest", Kind: server, Dur: 10},
				{Trace: "t", ID: "r1", Parent: "d1", Svc: "redis", Name: "GetDriver", Kind: client, Start: 1, Dur: 1},
				{Trace: "t", ID: "m1", Parent: "d1", Svc: "mysql", Name: "SQL SELECT", Kind: client, Start: 2, Dur: 1,
					Attrs: map[string]any{"peer.service": "mysql"}},
			},
			want: []string{"driver -> mysql (database)", "driver -> redis (cache)", "user -> driver (unknown)"},
		},
		{
			name: "internal spans between a server span and its client span change nothing",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "handler", Kind: internal, Dur: 9},
				{Trace: "t", ID: "a3", Parent: "a2", Svc: "a", Name: "validate", Kind: internal, Dur: 8},
				{Trace: "t", ID: "a4", Parent: "a3", Svc: "a", Name: "GET", Kind: client, Dur: 5, Attrs: httpClient},
				{Trace: "t", ID: "b1", Parent: "a4", Svc: "b", Name: "GET /x", Kind: server, Dur: 4},
			},
			want: []string{"a -> b (http)", "user -> a (unknown)"},
		},
		{
			name: "a server span directly under another service's server span is an edge",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "b1", Parent: "a1", Svc: "b", Name: "GET /x", Kind: server, Dur: 4,
					Attrs: map[string]any{"rpc.system": "grpc"}},
			},
			want: []string{"a -> b (grpc)", "user -> a (unknown)"},
		},
		{
			name: "a service calling itself over the network is a self-edge",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "GET", Kind: client, Dur: 5, Attrs: httpClient},
				{Trace: "t", ID: "a3", Parent: "a2", Svc: "a", Name: "GET /other", Kind: server, Dur: 4},
			},
			want: []string{"a -> a (http)", "user -> a (unknown)"},
		},
		{
			name: "a span under another span of its own service is no self-edge",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "GET /inner", Kind: server, Dur: 5},
			},
			want: []string{"user -> a (unknown)"},
		},
		{
			name: "an orphan span is counted and invents no edge",
			spans: []sp{
				{Trace: "t", ID: "b1", Parent: "gone", Svc: "b", Name: "GET /x", Kind: server, Dur: 4},
				{Trace: "t", ID: "b2", Parent: "b1", Svc: "b", Name: "work", Kind: internal, Dur: 1},
			},
			want: nil,
		},
		{
			name: "an entry point's caller is named by peer.service when the server span has it",
			spans: []sp{
				{Trace: "t", ID: "a1", Svc: "api", Name: "POST /hook", Kind: server, Dur: 10,
					Attrs: map[string]any{"peer.service": "partner-webhooks", "http.request.method": "POST"}},
			},
			want: []string{"partner-webhooks -> api (http)"},
		},
		{
			name: "a root internal span is an entry point with no caller",
			spans: []sp{
				{Trace: "t", ID: "j1", Svc: "cron", Name: "nightly", Kind: internal, Dur: 10},
				{Trace: "t", ID: "j2", Parent: "j1", Svc: "cron", Name: "POST", Kind: client, Dur: 5,
					Attrs: map[string]any{"http.request.method": "POST"}},
				{Trace: "t", ID: "b1", Parent: "j2", Svc: "billing", Name: "POST /run", Kind: server, Dur: 4},
			},
			want: []string{"cron -> billing (http)"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := build(t, topology.Options{}, c.spans)
			if got := edges(g); !slices.Equal(got, c.want) {
				t.Errorf("edges\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestVirtualNodes(t *testing.T) {
	cases := []struct {
		name     string
		attrs    map[string]any
		spanName string
		wantNode string
		wantKind string
	}{
		{"peer.service names the peer first",
			map[string]any{"peer.service": "billing-api", "server.address": "10.0.0.9"}, "POST", "billing-api", topology.KindExternal},
		{"a database is named by its address and namespace",
			map[string]any{"db.system.name": "postgresql", "server.address": "orders-db", "db.namespace": "orders"}, "SELECT", "orders-db/orders", topology.KindDatabase},
		{"older conventions name a database too",
			map[string]any{"db.system": "mysql", "net.peer.name": "legacy-db", "db.name": "crm"}, "SELECT", "legacy-db/crm", topology.KindDatabase},
		{"redis is a cache",
			map[string]any{"db.system": "redis", "server.address": "sessions"}, "GET", "sessions", topology.KindCache},
		{"valkey is a cache",
			map[string]any{"db.system.name": "valkey", "server.address": "vk"}, "GET", "vk", topology.KindCache},
		{"memcached is a cache",
			map[string]any{"db.system": "memcached", "server.address": "mc"}, "get", "mc", topology.KindCache},
		{"a database with no address is named by its system",
			map[string]any{"db.system.name": "sqlite"}, "SELECT", "sqlite", topology.KindDatabase},
		{"an HTTP peer is external, named by the URL host",
			map[string]any{"http.request.method": "POST", "url.full": "https://api.stripe.com/v1/charges"}, "POST", "api.stripe.com", topology.KindExternal},
		{"an HTTP peer named by the old http.url",
			map[string]any{"http.method": "GET", "http.url": "http://maps.example.org:8080/route"}, "GET", "maps.example.org", topology.KindExternal},
		{"a datastore without db.system is recognised by name",
			map[string]any{"net.peer.name": "mongodb"}, "mongodb.isMaster", "mongodb", topology.KindDatabase},
		{"a broker is messaging",
			map[string]any{"messaging.system": "rabbitmq", "server.address": "mq"}, "send", "mq", topology.KindMessaging},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := build(t, topology.Options{}, []sp{
				{Trace: "t", ID: "a1", Svc: "app", Name: "GET /", Kind: server, Dur: 10},
				{Trace: "t", ID: "a2", Parent: "a1", Svc: "app", Name: c.spanName, Kind: client, Start: 1, Dur: 4, Attrs: c.attrs},
			})
			n := node(t, g, c.wantNode)
			if n.Kind != c.wantKind || !n.Virtual {
				t.Errorf("node %s: kind %s virtual %v, want %s virtual", n.Name, n.Kind, n.Virtual, c.wantKind)
			}
			e := edge(t, g, "app", c.wantNode)
			if e.Calls != 1 {
				t.Errorf("calls = %d, want 1", e.Calls)
			}
			if g.UnresolvedClientSpans != 0 {
				t.Errorf("unresolved = %d, want 0", g.UnresolvedClientSpans)
			}
		})
	}
}

func TestVirtualNodesAreOnePerInstance(t *testing.T) {
	db := func(id, addr string) sp {
		return sp{Trace: "t", ID: id, Parent: "a1", Svc: "app", Name: "SELECT", Kind: client, Dur: 1,
			Attrs: map[string]any{"db.system.name": "postgresql", "server.address": addr, "db.namespace": "shop"}}
	}
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "a1", Svc: "app", Name: "GET /", Kind: server, Dur: 10},
		db("d1", "pg-primary"), db("d2", "pg-replica"), db("d3", "pg-primary"),
	})
	if e := edge(t, g, "app", "pg-primary/shop"); e.Calls != 2 {
		t.Errorf("primary calls = %d, want 2", e.Calls)
	}
	edge(t, g, "app", "pg-replica/shop")
}

func TestUnpairedClientWithoutPeerIsUnresolved(t *testing.T) {
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "a1", Svc: "app", Name: "GET /", Kind: server, Dur: 10},
		{Trace: "t", ID: "a2", Parent: "a1", Svc: "app", Name: "call", Kind: client, Dur: 4},
	})
	if g.UnresolvedClientSpans != 1 {
		t.Errorf("unresolved = %d, want 1", g.UnresolvedClientSpans)
	}
	if got := edges(g); !slices.Equal(got, []string{"user -> app (unknown)"}) {
		t.Errorf("edges %q: an unnamed peer must make no node", got)
	}
}

func TestNestedClientSpansCountOnce(t *testing.T) {
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "a1", Svc: "app", Name: "GET /", Kind: server, Dur: 10},
		{Trace: "t", ID: "a2", Parent: "a1", Svc: "app", Name: "sdk.Charge", Kind: client, Dur: 6,
			Attrs: map[string]any{"peer.service": "stripe"}},
		{Trace: "t", ID: "a3", Parent: "a2", Svc: "app", Name: "POST", Kind: client, Dur: 5,
			Attrs: map[string]any{"http.request.method": "POST", "url.full": "https://api.stripe.com/v1"}},
	})
	if got, want := edges(g), []string{"app -> api.stripe.com (external)", "user -> app (unknown)"}; !slices.Equal(got, want) {
		t.Errorf("edges %q, want %q", got, want)
	}
}

func TestMessaging(t *testing.T) {
	prod := func(trace, dest string) []sp {
		return []sp{
			{Trace: trace, ID: "c1", Svc: "checkout", Name: "POST /order", Kind: server, Dur: 10},
			{Trace: trace, ID: "c2", Parent: "c1", Svc: "checkout", Name: "orders publish", Kind: producer, Start: 1, Dur: 1,
				Attrs: map[string]any{"messaging.system": "kafka", "messaging.destination.name": dest, "server.address": "kafka"}},
		}
	}
	cons := func(trace, dest string, link *[2]string) sp {
		s := sp{Trace: trace, ID: "f1", Svc: "fulfillment", Name: "orders process", Kind: consumer, Start: 50, Dur: 20,
			Attrs: map[string]any{"messaging.system": "kafka", "messaging.destination.name": dest}}
		if link != nil {
			s.Links = [][2]string{*link}
		}
		return s
	}
	t.Run("a consumer linked to its producer connects producer to consumer", func(t *testing.T) {
		g := build(t, topology.Options{}, prod("p", ""), []sp{cons("q", "", &[2]string{"p", "c2"})})
		if e := edge(t, g, "checkout", "fulfillment"); e.Kind != topology.EdgeMessaging || e.Calls != 1 {
			t.Errorf("edge = %+v", e)
		}
	})
	t.Run("a consumer seen before its linked producer still connects", func(t *testing.T) {
		g := build(t, topology.Options{}, []sp{cons("q", "", &[2]string{"p", "c2"})}, prod("p", ""))
		edge(t, g, "checkout", "fulfillment")
	})
	t.Run("a consumer sharing the destination name connects without a link", func(t *testing.T) {
		g := build(t, topology.Options{}, prod("p", "orders"), []sp{cons("q", "orders", nil)})
		edge(t, g, "checkout", "fulfillment")
		if _, ok := g.Node("kafka"); ok {
			t.Error("a consumed producer must not make a broker node")
		}
	})
	t.Run("a producer nobody consumes from calls a broker node", func(t *testing.T) {
		g := build(t, topology.Options{}, prod("p", "orders"))
		if n := node(t, g, "kafka"); n.Kind != topology.KindMessaging {
			t.Errorf("broker kind = %s", n.Kind)
		}
		edge(t, g, "checkout", "kafka")
	})
	t.Run("a consumer nobody produces for is called by its destination", func(t *testing.T) {
		g := build(t, topology.Options{}, []sp{cons("q", "audit", nil)})
		edge(t, g, "audit", "fulfillment")
	})
	t.Run("a consumer in the producer's trace is a plain parent-child edge", func(t *testing.T) {
		c := cons("p", "orders", nil)
		c.Parent = "c2"
		g := build(t, topology.Options{}, append(prod("p", "orders"), c))
		if e := edge(t, g, "checkout", "fulfillment"); e.Calls != 1 || e.Kind != topology.EdgeMessaging {
			t.Errorf("edge = %+v", e)
		}
	})
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		attrs  map[string]any
		status int // ptrace.StatusCode
		failed bool
	}{
		{"status ERROR is a failure", nil, 2, true},
		{"HTTP 503 with no status is a failure", map[string]any{"http.response.status_code": 503}, 0, true},
		{"the old http.status_code counts too", map[string]any{"http.status_code": "500"}, 0, true},
		{"HTTP 404 is no server failure", map[string]any{"http.response.status_code": 404}, 0, false},
		{"a non-OK gRPC code with no status is a failure", map[string]any{"rpc.grpc.status_code": 14}, 0, true},
		{"gRPC OK is fine", map[string]any{"rpc.grpc.status_code": 0}, 0, false},
		{"an explicit OK status wins over HTTP 500", map[string]any{"http.response.status_code": 500}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sp{Trace: "t", ID: "a1", Svc: "app", Name: "GET /", Kind: server, Dur: 10, Attrs: c.attrs}
			s.Status = statusCode(c.status)
			g := build(t, topology.Options{}, []sp{s})
			want := int64(0)
			if c.failed {
				want = 1
			}
			if n := node(t, g, "app"); n.Errors != want {
				t.Errorf("errors = %d, want %d", n.Errors, want)
			}
		})
	}
}

func TestLatencyAndOperations(t *testing.T) {
	var spans []sp
	for i := 0; i < 100; i++ {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		route := "/users/{id}"
		if i%4 == 0 {
			route = "/health"
		}
		spans = append(spans,
			sp{Trace: "t" + id, ID: "s" + id, Svc: "api", Name: "GET " + id, Kind: server, Dur: float64(i + 1),
				Attrs: map[string]any{"http.request.method": "GET", "http.route": route}})
	}
	g := build(t, topology.Options{}, spans)
	n := node(t, g, "api")
	if n.Calls != 100 {
		t.Fatalf("calls = %d", n.Calls)
	}
	near := func(got, want float64) bool { return got > want*0.97 && got < want*1.03 }
	if !near(n.P50MS, 50) || !near(n.P95MS, 95) || !near(n.P99MS, 99) {
		t.Errorf("p50/p95/p99 = %v/%v/%v, want about 50/95/99", n.P50MS, n.P95MS, n.P99MS)
	}
	if len(n.Operations) != 2 || n.Operations[0].Name != "GET /users/{id}" || n.Operations[0].Calls != 75 ||
		n.Operations[1].Name != "GET /health" {
		t.Errorf("operations = %+v, want the routes ranked by calls", n.Operations)
	}
}

func TestOperationsAreCapped(t *testing.T) {
	var spans []sp
	for i := 0; i < 30; i++ {
		id := string(rune('a' + i))
		spans = append(spans, sp{Trace: "t" + id, ID: "s", Svc: "api", Name: "GET /item/" + id, Kind: server, Dur: 1})
	}
	g := build(t, topology.Options{MaxOperations: 10}, spans)
	ops := node(t, g, "api").Operations
	if len(ops) != 11 || ops[0].Name != topology.OtherName || ops[0].Calls != 20 {
		t.Errorf("ops = %d, first %+v; want 10 named plus (other) with 20 calls", len(ops), ops[0])
	}
}

func TestBlastRadius(t *testing.T) {
	page := func(trace, route string, callsDB bool) []sp {
		s := []sp{
			{Trace: trace, ID: "f1", Svc: "frontend", Name: route, Kind: server, Dur: 10,
				Attrs: map[string]any{"http.route": route, "http.request.method": "GET"}},
			{Trace: trace, ID: "f2", Parent: "f1", Svc: "frontend", Name: "GET", Kind: client, Dur: 5},
			{Trace: trace, ID: "c1", Parent: "f2", Svc: "catalog", Name: "list", Kind: server, Dur: 4},
		}
		if callsDB {
			s = append(s, sp{Trace: trace, ID: "c2", Parent: "c1", Svc: "catalog", Name: "SELECT", Kind: client, Dur: 1,
				Attrs: map[string]any{"db.system.name": "postgresql", "server.address": "pg"}})
		}
		return s
	}
	g := build(t, topology.Options{}, page("1", "/", true), page("2", "/", true), page("3", "/search", false))
	pg := node(t, g, "pg")
	if len(pg.EntryPoints) != 1 || pg.EntryPoints[0].Name != "frontend: GET /" || pg.EntryPoints[0].Traces != 2 {
		t.Errorf("pg reached by %+v, want only frontend: GET / (2 traces)", pg.EntryPoints)
	}
	if cat := node(t, g, "catalog"); len(cat.EntryPoints) != 2 {
		t.Errorf("catalog reached by %+v, want both entry points", cat.EntryPoints)
	}
	if len(g.EntryPoints) != 2 || g.EntryPoints[0].Traces != 2 {
		t.Errorf("entry points = %+v", g.EntryPoints)
	}
}

func TestUserNodeYieldsItsNameToARealService(t *testing.T) {
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "u1", Svc: "user", Name: "GET /check", Kind: server, Dur: 10},
	})
	if got, want := edges(g), []string{"user (uninstrumented) -> user (unknown)"}; !slices.Equal(got, want) {
		t.Errorf("edges %q, want %q", got, want)
	}
	if n := node(t, g, "user"); n.Virtual || n.Kind != topology.KindService {
		t.Errorf("the real user service became %+v", n)
	}
}

func TestStreaming(t *testing.T) {
	a1 := sp{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Dur: 10}
	a2 := sp{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "GET", Kind: client, Start: 1, Dur: 5}
	b1 := sp{Trace: "t", ID: "b1", Parent: "a2", Svc: "b", Name: "GET /x", Kind: server, Start: 2, Dur: 3}
	later := func(trace string, atMin float64) sp {
		return sp{Trace: trace, ID: "z1", Svc: "z", Name: "tick", Kind: internal, Start: atMin * 60_000, Dur: 1}
	}
	t.Run("spans of one trace in different batches join up", func(t *testing.T) {
		g := build(t, topology.Options{}, []sp{b1}, []sp{later("x", 1)}, []sp{a1, a2})
		edge(t, g, "a", "b")
		if g.OrphanSpans != 0 || g.Traces != 2 {
			t.Errorf("orphans %d traces %d", g.OrphanSpans, g.Traces)
		}
	})
	t.Run("spans arriving after the horizon are counted late", func(t *testing.T) {
		g := build(t, topology.Options{Horizon: time.Minute}, []sp{b1}, []sp{later("x", 5)}, []sp{a1, a2})
		if g.LateSpans != 2 {
			t.Errorf("late spans = %d, want 2", g.LateSpans)
		}
		if g.Traces != 2 {
			t.Errorf("traces = %d: a late fragment is not a new trace", g.Traces)
		}
	})
	t.Run("past the open-span cap the longest-waiting trace closes early", func(t *testing.T) {
		g := build(t, topology.Options{MaxOpenSpans: 2}, []sp{a1, a2}, []sp{later("x", 0), later("y", 0)})
		if g.EvictedTraces == 0 {
			t.Error("no trace evicted")
		}
		if g.Spans != 4 {
			t.Errorf("spans = %d", g.Spans)
		}
	})
	t.Run("a whole batch closes its traces at once", func(t *testing.T) {
		b := topology.NewBuilder(topology.Options{Horizon: time.Hour})
		b.Add(topology.Batch{Traces: batch(a1, a2, b1), Whole: true})
		b.Add(topology.Batch{Traces: batch(sp{Trace: "t", ID: "a9", Parent: "a1", Svc: "a", Name: "late", Kind: internal})})
		g := b.Finish()
		if g.LateSpans != 1 {
			t.Errorf("late = %d, want 1: the whole trace was already closed", g.LateSpans)
		}
	})
}

func TestWindowAndCounts(t *testing.T) {
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "a1", Svc: "a", Name: "GET /", Kind: server, Start: 0, Dur: 10},
		{Trace: "t", ID: "a2", Parent: "a1", Svc: "a", Name: "x", Kind: internal, Start: 2, Dur: 20},
	})
	start := time.Unix(0, spantest.EpochNS).UTC()
	if !g.Window.Start.Equal(start) || !g.Window.End.Equal(start.Add(22*time.Millisecond)) {
		t.Errorf("window = %v", g.Window)
	}
	if g.Spans != 2 || g.Traces != 1 {
		t.Errorf("spans %d traces %d", g.Spans, g.Traces)
	}
}

func TestSharedSpanIDs(t *testing.T) {
	// Zipkin's shared spans: the client half and the server half have one ID.
	g := build(t, topology.Options{}, []sp{
		{Trace: "t", ID: "g0", Svc: "guardian", Name: "job", Kind: internal, Dur: 10},
		{Trace: "t", ID: "x", Parent: "g0", Svc: "guardian", Name: "delete", Kind: client, Dur: 5},
		{Trace: "t", ID: "x", Parent: "p0", Svc: "platformapi", Name: "delete", Kind: none, Dur: 5},
		{Trace: "t", ID: "p1", Parent: "x", Svc: "platformapi", Name: "delete subscriptions", Kind: server, Dur: 4},
		{Trace: "t", ID: "p0", Svc: "platformapi", Name: "root", Kind: internal, Dur: 10},
	})
	edge(t, g, "guardian", "platformapi")
}

func TestASharedIDPutsAServerUnderTheCallerFromAnotherService(t *testing.T) {
	// Three halves share ID x: a client of api, a client of web, an
	// internal span of api. api's server span belongs under web's call
	// (the first caller from another service), web's internal child under
	// web's own half, api's internal child under api's last half.
	spans := []sp{
		{Trace: "t", ID: "r", Svc: "web", Name: "GET /", Kind: server, Dur: 20},
		{Trace: "t", ID: "x", Parent: "r", Svc: "api", Name: "lookup", Kind: client, Dur: 5},
		{Trace: "t", ID: "x", Parent: "r", Svc: "web", Name: "GET api", Kind: client, Dur: 10},
		{Trace: "t", ID: "x", Parent: "r", Svc: "api", Name: "cache", Kind: internal, Dur: 5},
		{Trace: "t", ID: "s", Parent: "x", Svc: "api", Name: "GET /api", Kind: server, Start: 1, Dur: 8},
		{Trace: "t", ID: "w", Parent: "x", Svc: "web", Name: "decode", Kind: internal, Start: 2, Dur: 1},
		{Trace: "t", ID: "a", Parent: "x", Svc: "api", Name: "parse", Kind: internal, Start: 3, Dur: 1},
	}
	parents := map[string]string{}
	b := topology.NewBuilder(topology.Options{})
	b.Observe(func(tr *topology.Trace) {
		for i, s := range tr.Spans {
			if p := tr.Parent[i]; p >= 0 {
				parents[s.Op] = tr.Spans[p].Op
			}
		}
	})
	b.Add(topology.Batch{Traces: batch(spans...), Whole: true})
	b.Finish()
	want := map[string]string{"lookup": "GET /", "GET api": "GET /", "cache": "GET /",
		"GET /api": "GET api", "decode": "GET api", "parse": "cache"}
	for op, p := range want {
		if parents[op] != p {
			t.Errorf("%s is under %q, want %q", op, parents[op], p)
		}
	}
}

func TestTheTraceViewSaysWhoServesWhoCallsAndWhoTimesACall(t *testing.T) {
	spans := []sp{
		{Trace: "v", ID: "r", Svc: "web", Name: "GET /", Kind: server, Dur: 30},
		{Trace: "v", ID: "c", Parent: "r", Svc: "web", Name: "GET cart", Kind: client, Start: 1, Dur: 10},
		{Trace: "v", ID: "s", Parent: "c", Svc: "cart", Name: "GET /cart", Kind: server, Start: 2, Dur: 8},
		{Trace: "v", ID: "d", Parent: "s", Svc: "cart", Name: "SELECT", Kind: client, Start: 3, Dur: 2,
			Attrs: map[string]any{"db.system": "postgresql", "server.address": "cart-db"}},
		{Trace: "v", ID: "i", Parent: "r", Svc: "web", Name: "render", Kind: internal, Start: 20, Dur: 5},
		{Trace: "v", ID: "o", Parent: "gone", Svc: "mail", Name: "send", Kind: consumer, Start: 40, Dur: 1},
	}
	type row struct {
		enters, orphan bool
		callee         string
		timedBy        string
	}
	want := map[string]row{
		"GET /":     {enters: true, timedBy: "GET /"},
		"GET cart":  {timedBy: "GET cart"},
		"GET /cart": {enters: true, timedBy: "GET cart"},
		"SELECT":    {callee: "cart-db", timedBy: "SELECT"},
		"render":    {timedBy: "render"},
		"send":      {enters: true, orphan: true, timedBy: "send"},
	}
	got := map[string]row{}
	b := topology.NewBuilder(topology.Options{})
	b.Observe(func(tr *topology.Trace) {
		for i, s := range tr.Spans {
			r := row{enters: tr.Enters(i), orphan: tr.Orphan(i), timedBy: tr.Spans[tr.TimedBy(i)].Op}
			if c := tr.Callee(i); c != nil {
				r.callee = c.Name
			}
			got[s.Op] = r
		}
	})
	b.Add(topology.Batch{Traces: batch(spans...), Whole: true})
	b.Finish()
	for op, w := range want {
		g := got[op]
		if g != w {
			t.Errorf("%s: %+v, want %+v", op, g, w)
		}
	}
}

func TestNamesFromProtobufAreValidUTF8(t *testing.T) {
	g := build(t, topology.Options{}, []sp{
		{Trace: "u", ID: "r", Svc: "web\xff", Name: "GET /\xfe", Kind: server, Dur: 5},
		{Trace: "u", ID: "c", Parent: "r", Svc: "web\xff", Name: "q", Kind: client, Dur: 2,
			Attrs: map[string]any{"db.system": "redis", "server.address": "cache\xff"}},
	})
	for _, n := range g.Nodes {
		if !utf8.ValidString(n.Name) {
			t.Errorf("node %q", n.Name)
		}
		for _, op := range n.Operations {
			if !utf8.ValidString(op.Name) {
				t.Errorf("operation %q of %s", op.Name, n.Name)
			}
		}
	}
	node(t, g, "web\uFFFD")
}
