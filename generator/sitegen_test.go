package generator_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
)

// copyRunbooks copies a generated runbooks folder, as a team would drop it
// into their docs tree, unchanged.
func copyRunbooks(t *testing.T, from, to string) int {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(from)
	n := 0
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(from, e.Name()))
		os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
		if strings.HasPrefix(e.Name(), "RB-") {
			n++
		}
	}
	return n
}

func demoRunbooks(t *testing.T) string {
	t.Helper()
	out, _ := publish(t, smallDemo(t))
	return filepath.Join(filepath.Dir(out), "runbooks")
}

func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed (Debian package %s): skipping the %s build check", tool, tool, tool)
	}
	return p
}

// hugoBuild builds a Hugo site whose content is a copy of the runbooks in
// dir, and returns the site and how many runbooks it holds.
func hugoBuild(t *testing.T, dir string) (string, int) {
	t.Helper()
	hugo := need(t, "hugo")
	site := t.TempDir()
	n := copyRunbooks(t, dir, filepath.Join(site, "content", "runbooks"))
	os.WriteFile(filepath.Join(site, "hugo.toml"), []byte("baseURL = 'https://example.org/'\ntitle = 'Runbooks'\ndisableKinds = ['taxonomy', 'term', 'RSS', 'sitemap']\n"), 0o644)
	layouts := filepath.Join(site, "layouts", "_default")
	os.MkdirAll(layouts, 0o755)
	os.WriteFile(filepath.Join(layouts, "single.html"), []byte("<h1>{{ .Title }}</h1>{{ .Content }}"), 0o644)
	os.WriteFile(filepath.Join(layouts, "list.html"), []byte("{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}"), 0o644)
	cmd := exec.Command(hugo, "--quiet", "--source", site, "--destination", filepath.Join(site, "public"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hugo: %v\n%s", err, out)
	}
	return site, n
}

func TestRunbooksBuildInHugo(t *testing.T) {
	site, n := hugoBuild(t, demoRunbooks(t))
	pages, _ := filepath.Glob(filepath.Join(site, "public", "runbooks", "*", "index.html"))
	if len(pages) != n {
		t.Errorf("hugo made %d runbook pages, want %d", len(pages), n)
	}
	b, _ := os.ReadFile(pages[0])
	if !strings.Contains(string(b), "<h1>RB-") {
		t.Errorf("the title from the front matter is not used:\n%.300s", b)
	}
}

func TestRunbooksBuildInMkDocs(t *testing.T) {
	mkdocs := need(t, "mkdocs")
	site := t.TempDir()
	n := copyRunbooks(t, demoRunbooks(t), filepath.Join(site, "docs"))
	os.WriteFile(filepath.Join(site, "mkdocs.yml"), []byte("site_name: Runbooks\ndocs_dir: docs\n"), 0o644)
	cmd := exec.Command(mkdocs, "build", "--quiet", "--config-file", filepath.Join(site, "mkdocs.yml"), "--site-dir", filepath.Join(site, "site"))
	cmd.Dir = site
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkdocs: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(site, "site", "RB-*", "index.html"))
	if len(pages) != n {
		t.Errorf("mkdocs made %d runbook pages, want %d", len(pages), n)
	}
	b, _ := os.ReadFile(filepath.Join(site, "site", "RB-009-checkout-high-error-rate", "index.html"))
	if !strings.Contains(string(b), `href="../RB-008-catalog-db-products-degraded/"`) {
		t.Error("MkDocs did not turn the relative .md links into page links")
	}
}

// shortcodeNames would be Hugo shortcodes, Jinja (MkDocs macros) or MDX
// expressions if any output copied them raw.
var shortcodeNames = []string{`{{< param "title" >}}`, `{{% notice %}}`, `{% raw %}`, `{props.secret}`}

func hostileRunbooks(t *testing.T) string {
	t.Helper()
	return runbooksFor(t, shortcodeNames...)
}

func runbooksFor(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	p, err := generator.PlanRunbooks(chainGraph(names...), generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil || p.Apply(false) != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTemplateSyntaxInNamesDoesNotRunInHugo(t *testing.T) {
	// hugoBuild fails the test if Hugo reads a name as a shortcode.
	site, n := hugoBuild(t, hostileRunbooks(t))
	pages, _ := filepath.Glob(filepath.Join(site, "public", "runbooks", "*", "index.html"))
	if len(pages) != n {
		t.Errorf("hugo made %d runbook pages, want %d", len(pages), n)
	}
}

// TestTemplateSyntaxInNamesReachesNoOtherEngine reads the runbooks of
// services named like template tags: outside the front matter and the
// alerting rule (whose escapes are Prometheus's own {{ }}), no Jinja
// delimiter (MkDocs macros), no Hugo shortcode and no MDX expression brace
// is left.
func TestTemplateSyntaxInNamesReachesNoOtherEngine(t *testing.T) {
	for f, body := range pageBodies(t, hostileRunbooks(t)) {
		for _, open := range []string{"{{", "{%", "{#"} {
			if strings.Contains(body, open) {
				i := strings.Index(body, open)
				t.Errorf("%s: %q survives: …%s…", filepath.Base(f), open, body[max(0, i-40):min(len(body), i+40)])
			}
		}
		// An MDX expression brace is literal in code spans and blocks,
		// where queries name the node; only the template tags must go.
		for _, name := range shortcodeNames[:3] {
			if strings.Contains(body, name) {
				t.Errorf("%s: the name %q appears raw", filepath.Base(f), name)
			}
		}
	}
}

// jinjaRender is what mkdocs-macros does to a page: the whole Markdown
// rendered as a Jinja2 template (Debian's python3-jinja2, which MkDocs
// depends on). It returns the output, or fails the test.
func jinjaRender(t *testing.T, text string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import jinja2").Run(); err != nil {
		t.Skipf("no jinja2 for %s (Debian package python3-jinja2, installed with mkdocs)", py)
	}
	cmd := exec.Command(py, "-c", "import sys, jinja2; sys.stdout.write(jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(sys.stdin.read()).render())")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jinja2 read a name as a tag: %v\n%s", err, out)
	}
	return string(out)
}

func TestTemplateSyntaxInNamesDoesNotRunInJinja(t *testing.T) {
	for f, body := range pageBodies(t, hostileRunbooks(t)) {
		if out := jinjaRender(t, body); strings.TrimRight(out, "\n") != strings.TrimRight(body, "\n") {
			t.Errorf("%s: Jinja changed the page", filepath.Base(f))
		}
	}
}

// TestNamesStayTextInMDX parses the runbooks of services named like MDX
// expressions and components with the real MDX compiler (@mdx-js/mdx, as
// Docusaurus runs it on .mdx pages; tools/mdx, installed by make mdx): no
// expression, JSX element or import comes out of a name.
func TestNamesStayTextInMDX(t *testing.T) {
	check, err := filepath.Abs(filepath.Join("..", "tools", "mdx", "check.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(check), "node_modules", "@mdx-js", "mdx")); err != nil {
		t.Fatal("the MDX compiler is not installed: run make mdx (npm ci in tools/mdx)")
	}
	names := append([]string{"<Secret />", "a}b{c", "export const x = 1", "{/* c */}"}, shortcodeNames...)
	dir := runbooksFor(t, names...)
	files, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	if len(files) != 2*len(names) {
		t.Fatalf("%d runbooks for %d names", len(files), len(names))
	}
	out, err := exec.Command("node", append([]string{check}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("MDX reads a name as code: %v\n%s", err, out)
	}
}

// pageBodies are the runbooks in dir by file, without their front matter
// and their alerting rule (whose escapes are Prometheus's own {{ }}).
func pageBodies(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		doc := string(b)
		body := doc[strings.Index(doc[4:], "\n---\n")+9:]
		if i := strings.Index(body, "```yaml\n- alert:"); i >= 0 {
			j := strings.Index(body[i+3:], "```")
			body = body[:i] + body[i+3+j+3:]
		}
		out[f] = body
	}
	if len(out) == 0 {
		t.Fatalf("no runbooks in %s", dir)
	}
	return out
}
