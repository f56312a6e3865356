package topology_test

import (
	"slices"
	"testing"

	"github.com/rbgen/rbgen/topology"
)

// call is one unpaired client span from api with the given attributes.
func call(trace string, attrs map[string]any) []sp {
	return []sp{
		{Trace: trace, ID: "s", Svc: "api", Name: "GET /", Kind: server, Dur: 10},
		{Trace: trace, ID: "c", Parent: "s", Svc: "api", Name: "query", Kind: client, Start: 1, Dur: 5, Attrs: attrs},
	}
}

func virtualNames(g *topology.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.Virtual && n.Kind != topology.KindUser {
			out = append(out, n.Name)
		}
	}
	return out
}

func TestNodeNamesFollowEachSemconvGeneration(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs []map[string]any
		want  []string
	}{
		{"1.20: net.peer.name and db.name", []map[string]any{{"db.system": "postgresql", "net.peer.name": "orders-db", "net.peer.port": 5432, "db.name": "orders"}},
			[]string{"orders-db/orders"}},
		{"1.20: only net.sock.peer.addr names the instance", []map[string]any{{"db.system": "postgresql", "net.sock.peer.addr": "10.0.0.7", "net.peer.port": 5432}},
			[]string{"10.0.0.7:5432"}},
		{"1.20: the host of db.connection_string", []map[string]any{{"db.system": "mssql", "db.connection_string": "Server=sql-1,1433;Database=shop"}},
			[]string{"sql-1"}},
		{"1.20: a JDBC connection string", []map[string]any{{"db.system": "mysql", "db.connection_string": "jdbc:mysql://mysql-main:3306/shop"}},
			[]string{"mysql-main"}},
		{"1.20: a libpq connection string", []map[string]any{{"db.system": "postgresql", "db.connection_string": "host=pg-2 port=5432 dbname=shop"}},
			[]string{"pg-2"}},
		{"1.25+: server.address and db.namespace", []map[string]any{{"db.system.name": "postgresql", "server.address": "orders-db", "db.namespace": "orders"}},
			[]string{"orders-db/orders"}},
		{"1.25+: two instances named only by network.peer.address are two nodes", []map[string]any{
			{"db.system.name": "postgresql", "network.peer.address": "10.0.0.7", "network.peer.port": 5432},
			{"db.system.name": "postgresql", "network.peer.address": "10.0.0.8", "network.peer.port": 5432}},
			[]string{"10.0.0.7:5432", "10.0.0.8:5432"}},
		{"1.25+: the host of url.full", []map[string]any{{"http.request.method": "POST", "url.full": "https://api.stripe.com/v1/charges"}},
			[]string{"api.stripe.com"}},
		{"a bare address another span names is that node", []map[string]any{
			{"db.system.name": "postgresql", "server.address": "orders-db", "network.peer.address": "10.0.0.7"},
			{"db.system.name": "postgresql", "network.peer.address": "10.0.0.7", "network.peer.port": 5432}},
			[]string{"orders-db"}},
		{"addresses alone are grouped by subnet", []map[string]any{
			{"http.request.method": "GET", "url.full": "http://10.42.14.1:42699/"},
			{"http.request.method": "GET", "url.full": "http://10.42.16.1:42699/"}},
			[]string{"10.42.0.0/16"}},
		{"only db.system is left when nothing names the instance", []map[string]any{{"db.system": "redis"}},
			[]string{"redis"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var spans []sp
			for i, a := range tc.attrs {
				spans = append(spans, call(string(rune('a'+i)), a)...)
			}
			got := virtualNames(build(t, topology.Options{}, spans))
			if !slices.Equal(got, tc.want) {
				t.Errorf("virtual nodes %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAPodAddressIsTheServiceRunningThere(t *testing.T) {
	spans := append(call("a", map[string]any{"http.request.method": "GET", "network.peer.address": "10.1.2.3"}),
		sp{Trace: "b", ID: "s", Svc: "inventory", Name: "GET /stock", Kind: server, Dur: 3, Res: map[string]any{"k8s.pod.ip": "10.1.2.3"}})
	g := build(t, topology.Options{}, spans)
	if got := virtualNames(g); len(got) != 0 {
		t.Errorf("virtual nodes %v, want the address merged into inventory", got)
	}
	if e := edge(t, g, "api", "inventory"); e.Calls != 1 {
		t.Errorf("api -> inventory: %d calls", e.Calls)
	}
}

func TestServicesThatDifferOnlyInLetterCaseMerge(t *testing.T) {
	var spans []sp
	for i, svc := range []string{"stLogin", "stLogin", "stlogin"} {
		tr := string(rune('a' + i))
		spans = append(spans, sp{Trace: tr, ID: "w", Svc: "web", Name: "GET /", Kind: server, Dur: 10},
			sp{Trace: tr, ID: "l", Parent: "w", Svc: svc, Name: "login", Kind: server, Start: 1, Dur: 5})
	}
	g := build(t, topology.Options{}, spans)
	if _, ok := g.Node("stlogin"); ok {
		t.Error("stlogin is still a node")
	}
	if e := edge(t, g, "web", "stLogin"); e.Calls != 3 {
		t.Errorf("web -> stLogin: %d calls, want 3", e.Calls)
	}
	if len(g.Merged) != 1 || g.Merged[0] != (topology.Merge{From: "stlogin", Into: "stLogin", Reason: topology.MergeCase}) {
		t.Errorf("merged: %+v", g.Merged)
	}
	if g.Canonical("stlogin") != "stLogin" {
		t.Errorf("Canonical(stlogin) = %q", g.Canonical("stlogin"))
	}
}

func TestAliasesRenameAndMergeNodes(t *testing.T) {
	var spans []sp
	for i, svc := range []string{"checkout-v2", "checkout-legacy", "cart"} {
		tr := string(rune('a' + i))
		spans = append(spans, sp{Trace: tr, ID: "w", Svc: "web", Name: "GET /", Kind: server, Dur: 10},
			sp{Trace: tr, ID: "l", Parent: "w", Svc: svc, Name: "op", Kind: server, Start: 1, Dur: 5})
	}
	g := build(t, topology.Options{Aliases: map[string]string{"checkout-*": "checkout", "cart": "basket"}}, spans)
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"basket", "checkout", "user", "web"}) {
		t.Errorf("nodes %v", names)
	}
	if e := edge(t, g, "web", "checkout"); e.Calls != 2 {
		t.Errorf("web -> checkout: %d calls, want 2", e.Calls)
	}
	if n := node(t, g, "checkout"); len(n.EntryPoints) != 1 || n.EntryPoints[0].Traces != 2 {
		t.Errorf("checkout's entry points: %+v", n.EntryPoints)
	}
}

func TestASubnetNodeMatchesEveryAddressInIt(t *testing.T) {
	spans := append(call("a", map[string]any{"http.request.method": "GET", "url.full": "http://10.42.14.1:42699/"}),
		call("b", map[string]any{"http.request.method": "GET", "url.full": "http://10.42.16.1:42699/"})...)
	n := node(t, build(t, topology.Options{}, spans), "10.42.0.0/16")
	want := []topology.Attr{{Key: "url.full" + topology.RegexSuffix, Value: `[a-z]+://10\.42\.[0-9]+\.[0-9]+(:[0-9]+)?([/?#].*)?`}}
	if !slices.Equal(n.Match, want) || n.Calls != 2 {
		t.Errorf("match %v (%d calls), want %v", n.Match, n.Calls, want)
	}
}
