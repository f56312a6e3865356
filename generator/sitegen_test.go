package generator_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

func TestRunbooksBuildInHugo(t *testing.T) {
	hugo := need(t, "hugo")
	site := t.TempDir()
	n := copyRunbooks(t, demoRunbooks(t), filepath.Join(site, "content", "runbooks"))
	os.WriteFile(filepath.Join(site, "hugo.toml"), []byte("baseURL = 'https://example.org/'\ntitle = 'Runbooks'\ndisableKinds = ['taxonomy', 'term', 'RSS', 'sitemap']\n"), 0o644)
	layouts := filepath.Join(site, "layouts", "_default")
	os.MkdirAll(layouts, 0o755)
	os.WriteFile(filepath.Join(layouts, "single.html"), []byte("<h1>{{ .Title }}</h1>{{ .Content }}"), 0o644)
	os.WriteFile(filepath.Join(layouts, "list.html"), []byte("{{ range .Pages }}<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}"), 0o644)
	cmd := exec.Command(hugo, "--quiet", "--source", site, "--destination", filepath.Join(site, "public"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hugo: %v\n%s", err, out)
	}
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
