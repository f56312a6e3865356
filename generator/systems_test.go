package generator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
)

// datastoreGraph is api calling one virtual node per system, each named by
// the address its callers give.
func datastoreGraph(systems map[string]string) *topology.Graph {
	g := &topology.Graph{EntryPoints: []topology.EntryPoint{{Name: "api: GET /", Service: "api", Traces: 100}}}
	st := topology.Stats{Calls: 100, Errors: 2, P50MS: 2, P99MS: 9}
	g.Nodes = append(g.Nodes, topology.Node{Name: "api", Kind: topology.KindService, Stats: st, SpanKinds: []string{"SPAN_KIND_SERVER"},
		Operations: []topology.Operation{{Name: "GET /", Stats: st}}, EntryPoints: []topology.EntryPointShare{{Name: "api: GET /", Traces: 100}}})
	for host, sys := range systems {
		kind := topology.KindDatabase
		switch sys {
		case "redis", "memcached":
			kind = topology.KindCache
		case "kafka", "rabbitmq":
			kind = topology.KindMessaging
		}
		g.Nodes = append(g.Nodes, topology.Node{Name: host, Kind: kind, Virtual: true, System: sys, Stats: st,
			Match:       []topology.Attr{{Key: "server.address", Value: host}},
			Operations:  []topology.Operation{{Name: "GET key", Stats: st}},
			EntryPoints: []topology.EntryPointShare{{Name: "api: GET /", Traces: 100}}})
		g.Edges = append(g.Edges, topology.Edge{From: "api", To: host, Kind: kind, Stats: st})
	}
	return g
}

func TestEachDatastoreGetsItsSystemsOwnAdvice(t *testing.T) {
	systems := map[string]string{"pg-1": "postgresql", "mysql-1": "mysql", "cache-1": "redis", "mongo-1": "mongodb",
		"search-1": "elasticsearch", "mc-1": "memcached", "broker-1": "kafka", "rabbit-1": "rabbitmq"}
	want := map[string][]string{
		"pg-1":     {"### 5. Check PostgreSQL itself", "`psql -h pg-1`", "pg_cancel_backend"},
		"mysql-1":  {"Check MySQL itself", "SHOW ENGINE INNODB STATUS", "KILL QUERY"},
		"cache-1":  {"Check Redis itself", "`redis-cli -h cache-1 --latency`", "maxmemory-policy"},
		"mongo-1":  {"Check MongoDB itself", "db.currentOp", "db.killOp"},
		"search-1": {"Check Elasticsearch itself", "_cluster/health", "_tasks/TASK_ID/_cancel"},
		"mc-1":     {"Check memcached itself", "`echo stats | nc mc-1 11211`", "listen_disabled_num"},
		"broker-1": {"Check Kafka itself", "kafka-consumer-groups.sh --bootstrap-server broker-1:9092", "dead-letter topic"},
		"rabbit-1": {"Check RabbitMQ itself", "rabbitmqctl list_queues", "rabbitmq-diagnostics alarms"},
	}
	dir := t.TempDir()
	generate(t, datastoreGraph(systems), dir)
	for host, sys := range systems {
		doc := readDir(t, dir)[runbookFile(t, dir, host+"-degraded")]
		for _, w := range want[host] {
			if !strings.Contains(doc, w) {
				t.Errorf("%s (%s) lacks %q", host, sys, w)
			}
		}
		if strings.Contains(doc, "Check the "+sys) {
			t.Errorf("%s got the generic checks", host)
		}
	}
}

func TestASystemsAdviceIsOverriddenBlockByBlock(t *testing.T) {
	tdir := t.TempDir()
	os.WriteFile(filepath.Join(tdir, "datastores.md.tmpl"), []byte(`{{ define "redis checks" }}- Ask the cache team about {{ .Name }} on {{ .Host }}.{{ end }}`), 0o644)
	tmpl, err := generator.LoadTemplates(tdir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{}
	cfg.FillDefaults()
	dir := t.TempDir()
	p, err := generator.PlanRunbooks(datastoreGraph(map[string]string{"cache-1": "redis", "pg-1": "postgresql"}),
		generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	redis := readDir(t, dir)[runbookFile(t, dir, "cache-1-degraded")]
	if !strings.Contains(redis, "- Ask the cache team about cache-1 on cache-1.") || strings.Contains(redis, "--latency") {
		t.Errorf("the override did not replace the Redis checks:\n%s", redis)
	}
	if !strings.Contains(redis, "maxmemory-policy") {
		t.Error("the Redis remediation, not overridden, is gone")
	}
	if pg := readDir(t, dir)[runbookFile(t, dir, "pg-1-degraded")]; !strings.Contains(pg, "pg_stat_activity") {
		t.Error("PostgreSQL lost its checks")
	}
}

func TestAHostThatIsNotAHostNameIsNotPastedIntoCommands(t *testing.T) {
	g := datastoreGraph(map[string]string{"x": "redis"})
	g.Nodes[1].Match[0].Value = "cache-1; rm -rf /"
	dir := t.TempDir()
	generate(t, g, dir)
	doc := readDir(t, dir)[runbookFile(t, dir, "x-degraded")]
	if strings.Contains(doc, "rm -rf") && strings.Contains(doc, "redis-cli -h cache-1;") || !strings.Contains(doc, "redis-cli -h HOST") {
		t.Errorf("the Redis commands:\n%s", doc)
	}
}
