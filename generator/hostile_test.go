package generator_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomarkdown/markdown"
	"github.com/gomarkdown/markdown/parser"
	"go.yaml.in/yaml/v3"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/generator/site"
	"github.com/rbgen/rbgen/topology"
)

// A graph whose names an attacker chose: they reach front matter, prose,
// tables, code blocks, PromQL, TraceQL and Mermaid.
func hostileRunbookGraph() *topology.Graph {
	names := []string{
		"<img src=x onerror=alert(1)>",
		"evil](javascript:alert(1)) [x",
		"# heading\n<!-- rbgen:keep notes -->",
		"quote\" } || { true",
		"```\nfenced",
		"--> end comment",
	}
	g := chainGraph(names...)
	// The same names as versions, workloads, pods and failure messages:
	// every field trace data fills reaches the same outputs.
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Versions = []topology.Version{{Version: "1.0"}, {Version: n.Name, Requests: 10, Failed: 9}}
		n.Workloads = []topology.Workload{{Namespace: n.Name, Kind: "deployment", Name: n.Name, Pods: []string{n.Name}, PodsSeen: 1}}
		n.Operations[0].Failures = []topology.Failure{{Pattern: n.Name, Type: n.Name, Example: n.Name + " example", Count: 1, Trace: n.Name}}
	}
	for i := range g.Edges {
		g.Edges[i].Failures = []topology.Failure{{Pattern: g.Edges[i].To, Example: g.Edges[i].To, Count: 1, Trace: g.Edges[i].To}}
	}
	return g
}

// chainGraph is services calling each other in a line, the first an entry
// point, each with a little traffic and some errors.
func chainGraph(names ...string) *topology.Graph {
	g := &topology.Graph{EntryPoints: []topology.EntryPoint{{Name: names[0] + ": GET /", Service: names[0], Traces: 10}}}
	st := topology.Stats{Calls: 10, Errors: 1, P50MS: 5, P99MS: 20}
	for i, n := range names {
		g.Nodes = append(g.Nodes, topology.Node{Name: n, Kind: topology.KindService, Stats: st,
			SpanKinds:   []string{"SPAN_KIND_SERVER"},
			Operations:  []topology.Operation{{Name: "GET /" + n, Match: []topology.Attr{{Key: "name", Value: "GET /" + n}}, Stats: st}},
			EntryPoints: []topology.EntryPointShare{{Name: names[0] + ": GET /", Traces: 10}}})
		if i > 0 {
			g.Edges = append(g.Edges, topology.Edge{From: names[i-1], To: n, Kind: "http", Stats: st})
		}
	}
	return g
}

func TestHostileNamesStayInert(t *testing.T) {
	dir := t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	p, err := generator.PlanRunbooks(hostileRunbookGraph(), generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	if len(files) != 12 {
		t.Fatalf("%d runbooks", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		doc := string(b)
		body := doc[strings.Index(doc, "\n---\n")+5:]
		p := parser.NewWithExtensions(parser.CommonExtensions)
		html := strings.ToLower(string(markdown.ToHTML([]byte(body), p, nil)))
		for _, bad := range []string{"<img", "href=\"javascript", "<h1 id=\"heading"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: %q survived into the rendered HTML", filepath.Base(f), bad)
			}
		}
		// Only the template's three keep blocks may be comments.
		if strings.Count(html, "<!--") != 6 || strings.Count(html, "-->") != 6 {
			t.Errorf("%s: %d comment openings, %d closings in the HTML, want the 6 keep markers",
				filepath.Base(f), strings.Count(html, "<!--"), strings.Count(html, "-->"))
		}
		if n := strings.Count(doc, "\n<!-- rbgen:keep "); n != 3 {
			t.Errorf("%s: %d keep markers at line starts, want the template's 3", filepath.Base(f), n)
		}
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "# RB-") {
				t.Errorf("%s: a name made a heading: %q", filepath.Base(f), line)
			}
		}
		fm := doc[4:strings.Index(doc, "\n---\n")]
		var meta map[string]any
		if err := yaml.Unmarshal([]byte(fm), &meta); err != nil {
			t.Errorf("%s: front matter is not YAML: %v", filepath.Base(f), err)
		}
		if fences := strings.Count(doc, "\n```"); fences%2 != 0 {
			t.Errorf("%s: %d fence lines: a name broke out of a code block", filepath.Base(f), fences)
		}
	}
	// Regenerating must not mistake forged markers for a person's notes.
	p, err = generator.PlanRunbooks(hostileRunbookGraph(), generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil || len(p.Changes) != 0 || len(p.Refused) != 0 {
		t.Errorf("second run: %v, %d changes, refused %v", err, len(p.Changes), p.Refused)
	}
}

// spoofers reorder or break the text around them without being seen.
var spoofers = []string{"\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u202A", "\u200F", "\u2028", "\u2029"}

func TestNamesCannotReorderOrBreakTheText(t *testing.T) {
	names := []string{"pay\u202Etnemyap", "a\u2066b\u2069c", "line\u2028break", "para\u2029graph"}
	dir, siteDir := t.TempDir(), t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	g := chainGraph(names...)
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	pages, err := site.Publish(site.Options{RunbookDir: dir, PostmortemDir: filepath.Join(dir, "none"), Out: siteDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: pages}).Apply(false); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, format := range []string{"mermaid", "dot"} {
		var b strings.Builder
		if err := generator.WriteGraph(&b, g, format); err != nil {
			t.Fatal(err)
		}
		outputs["graph."+format] = b.String()
	}
	for _, d := range []string{dir, siteDir} {
		filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && (strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".html")) {
				b, _ := os.ReadFile(path)
				outputs[path] = string(b)
			}
			return err
		})
	}
	if len(outputs) < 10 {
		t.Fatalf("only %d outputs to check", len(outputs))
	}
	for name, text := range outputs {
		for _, r := range spoofers {
			if strings.Contains(text, r) {
				t.Errorf("%s holds U+%04X", name, []rune(r)[0])
			}
		}
	}
}

// BenchmarkPlanManyServices plans the runbooks of n services in a chain:
// time per service must not grow with n.
func BenchmarkPlanManyServices(b *testing.B) {
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	for _, n := range []int{400, 4000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("svc-%05d", i)
			}
			g := chainGraph(names...)
			for b.Loop() {
				if _, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: b.TempDir(), Config: cfg, Templates: tmpl}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e3, "µs/service")
		})
	}
}

// Names that cleaning changes: cut at 200 characters (two that differ
// only after that), reordering or control characters. (Invalid UTF-8
// never reaches a graph: the builder makes names valid.)
func oddNames() []string {
	long := strings.Repeat("a", 250)
	return []string{long + "x", long + "y", "pay\u202Ement", "c\x01d", "tab\tname"}
}

func TestALostRegistryIsRebuiltWithEveryNumber(t *testing.T) {
	dir := t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	g := chainGraph(oddNames()...)
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil || p.Apply(false) != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	os.Remove(filepath.Join(dir, generator.RegistryFile))
	p, err = generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Reason == "new" || c.Reason == "stale" {
			t.Errorf("%s %s: the rebuilt registry lost its number", c.Reason, filepath.Base(c.Path))
		}
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	if strings.Join(before, " ") != strings.Join(after, " ") {
		t.Errorf("files before %v, after %v", before, after)
	}
}

func TestEveryNodeGetsItsOwnServicePageWithItsRunbooks(t *testing.T) {
	dir, siteDir := t.TempDir(), t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	names := oddNames()
	p, err := generator.PlanRunbooks(chainGraph(names...), generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil || p.Apply(false) != nil {
		t.Fatal(err)
	}
	pages, err := site.Publish(site.Options{RunbookDir: dir, PostmortemDir: filepath.Join(dir, "none"), Out: siteDir})
	if err != nil || (&generator.Plan{Changes: pages}).Apply(false) != nil {
		t.Fatal(err)
	}
	services, _ := filepath.Glob(filepath.Join(siteDir, "services", "*.html"))
	if len(services) != len(names) {
		t.Errorf("%d service pages for %d nodes", len(services), len(names))
	}
	for _, s := range services {
		b, _ := os.ReadFile(s)
		if n := strings.Count(string(b), `href="../runbooks/RB-`); n != 2 {
			t.Errorf("%s lists %d runbooks, want its 2", filepath.Base(s), n)
		}
	}
	runbooks, _ := filepath.Glob(filepath.Join(siteDir, "runbooks", "*.html"))
	for _, r := range runbooks {
		if b, _ := os.ReadFile(r); strings.Contains(string(b), "needs the graph snapshot") {
			t.Errorf("%s says the snapshot is missing", filepath.Base(r))
		}
	}
}
