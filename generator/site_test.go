package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/generator/site"
	"github.com/rbgen/rbgen/internal/linkcheck"
	"github.com/rbgen/rbgen/topology"
)

// publish generates runbooks for g and publishes them, returning the site folder.
func publish(t *testing.T, g *topology.Graph) (string, []generator.Change) {
	t.Helper()
	dir := t.TempDir()
	rb := filepath.Join(dir, "runbooks")
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: rb, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "site")
	changes, err := site.Publish(site.Options{RunbookDir: rb, PostmortemDir: filepath.Join(dir, "none"), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: changes}).Apply(false); err != nil {
		t.Fatal(err)
	}
	return out, changes
}

func TestNodesWhoseNamesSlugAlikeGetAPageEach(t *testing.T) {
	out, changes := publish(t, chainGraph("web", "a/b", "a-b"))
	titles := map[string]string{}
	for _, c := range changes {
		rel, _ := filepath.Rel(out, c.Path)
		if strings.HasPrefix(filepath.ToSlash(rel), "services/") {
			doc, err := html.Parse(bytes.NewReader(c.Content))
			if err != nil {
				t.Fatal(err)
			}
			titles[filepath.ToSlash(rel)] = textOf(find(doc, "h1"))
		}
	}
	if titles["services/web.html"] == "" || len(titles) != 3 {
		t.Fatalf("service pages %v, want web's and one for each of a/b and a-b", titles)
	}
	seen := map[string]bool{}
	for _, title := range titles {
		seen[title] = true
	}
	if !seen["a/b"] || !seen["a-b"] {
		t.Errorf("service pages %v: a node shares a page or has none", titles)
	}
	if broken, err := linkcheck.Broken(out); err != nil || len(broken) > 0 {
		t.Errorf("broken links %v (%v)", broken, err)
	}
}

func TestSiteOfTheDemoDay(t *testing.T) {
	out, changes := publish(t, smallDemo(t))
	again, err := site.Publish(site.Options{RunbookDir: filepath.Join(filepath.Dir(out), "runbooks"),
		PostmortemDir: filepath.Join(filepath.Dir(out), "none"), Out: out})
	if err != nil || len(again) != len(changes) {
		t.Fatalf("second publish: %v, %d pages vs %d", err, len(again), len(changes))
	}
	for i := range again {
		if again[i].Path != changes[i].Path || !bytes.Equal(again[i].Content, changes[i].Content) {
			t.Errorf("%s differs between two runs", again[i].Path)
		}
	}
	broken, err := linkcheck.Broken(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(broken) > 0 {
		t.Errorf("broken internal links: %v", broken)
	}
	pages := map[string]bool{}
	for _, c := range changes {
		rel, _ := filepath.Rel(out, c.Path)
		pages[filepath.ToSlash(rel)] = true
		if bytes.Contains(c.Content, []byte(`src="http`)) || bytes.Contains(c.Content, []byte(`href="http`)) && !bytes.Contains(c.Content, []byte("grafana.example.com")) {
			t.Errorf("%s makes an external request", rel)
		}
	}
	for _, want := range []string{"index.html", "graph.html", "services/checkout.html", "services/catalog-db-products.html",
		"runbooks/RB-009-checkout-high-error-rate.html"} {
		if !pages[want] {
			t.Errorf("no page %s", want)
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "runbooks", "RB-009-checkout-high-error-rate.html"))
	for _, want := range []string{"<svg", `href="RB-008-catalog-db-products-degraded.html"`, `id="diagnosis"`, `rel="next"`, "@media print"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the runbook page lacks %q", want)
		}
	}
}

func TestHostileTraceDataIsInertOnTheSite(t *testing.T) {
	out, changes := publish(t, hostileRunbookGraph())
	filterJS, _ := os.ReadFile("site/filter.js")
	graphJS, _ := os.ReadFile("site/graph.js")
	for _, c := range changes {
		rel, _ := filepath.Rel(out, c.Path)
		doc, err := html.Parse(bytes.NewReader(c.Content))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script":
					if body := strings.TrimSpace(text(n)); body != strings.TrimSpace(string(filterJS)) && body != strings.TrimSpace(string(graphJS)) {
						t.Errorf("%s: a script that is not rbgen's own", rel)
					}
				case "img", "iframe", "object", "embed", "form", "base", "meta":
					if n.Data != "meta" || hasAttr(n, "http-equiv") {
						t.Errorf("%s: active element <%s>", rel, n.Data)
					}
				}
				for _, a := range n.Attr {
					val := strings.ToLower(strings.TrimSpace(a.Val))
					if strings.HasPrefix(a.Key, "on") || (a.Key == "href" || a.Key == "src" || a.Key == "xlink:href") && strings.HasPrefix(val, "javascript:") {
						t.Errorf("%s: active attribute %s=%q on <%s>", rel, a.Key, a.Val, n.Data)
					}
				}
			}
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch)
			}
		}
		walk(doc)
		if bytes.Contains(c.Content, []byte("<img src=x")) {
			t.Errorf("%s: the hostile tag survived unescaped", rel)
		}
	}
	broken, _ := linkcheck.Broken(out)
	if len(broken) > 0 {
		t.Errorf("hostile names broke links: %v", broken)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// find is the first element named tag under n, depth first.
func find(n *html.Node, tag string) *html.Node {
	if n.Type == html.ElementNode && n.Data == tag {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, tag); f != nil {
			return f
		}
	}
	return nil
}

// textOf is the text inside n.
func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func text(n *html.Node) string {
	if n.FirstChild == nil {
		return ""
	}
	return n.FirstChild.Data
}
