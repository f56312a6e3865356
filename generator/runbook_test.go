package generator_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

const sampleConfig = `
base_url: https://ops.example.com/runbooks/
grafana_url: https://grafana.example.com
defaults:
  owner: sre-oncall
  channel: "#ops"
owners:
  checkout:
    owner: payments
    team: Payments
    pager: payments-primary
remediation:
  checkout:
    high-error-rate: ["Switch the payment provider to the backup account: see the payments playbook."]
`

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse("rbgen.yaml", []byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// generate plans and applies a generation into dir.
func generate(t *testing.T, g *topology.Graph, dir string, forceOpt ...bool) *generator.Plan {
	force := len(forceOpt) > 0 && forceOpt[0]
	t.Helper()
	tmpl, err := generator.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: testConfig(t), Templates: tmpl, Force: force})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(force); err != nil {
		return p
	}
	toc, err := generator.PlanTOC(tmpl, dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: toc}).Apply(false); err != nil {
		t.Fatal(err)
	}
	return p
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestRunbookGoldens(t *testing.T) {
	dir := t.TempDir()
	generate(t, smallDemo(t), dir)
	files := readDir(t, dir)
	if len(files) < 20 {
		t.Fatalf("%d files", len(files))
	}
	for _, name := range []string{"RB-009-checkout-high-error-rate.md", "RB-008-catalog-db-products-degraded.md",
		"RB-016-frontend-high-latency.md", "README.md"} {
		t.Run(name, func(t *testing.T) { golden(t, "runbooks/"+name, []byte(files[name])) })
	}
}

func TestRegeneratingGivesIdenticalBytes(t *testing.T) {
	dir := t.TempDir()
	generate(t, smallDemo(t), dir)
	first := readDir(t, dir)
	p := generate(t, smallDemo(t), dir)
	if len(p.Changes) != 0 {
		t.Errorf("second run changed %d files, first %s", len(p.Changes), p.Changes[0].Path)
	}
	if second := readDir(t, dir); !equalMaps(first, second) {
		t.Error("the second run changed bytes on disk")
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// withService adds a service called by frontend to a copy of g.
func withService(g *topology.Graph, name string) *topology.Graph {
	c := *g
	c.Nodes = append(append([]topology.Node(nil), g.Nodes...), topology.Node{
		Name: name, Kind: topology.KindService, Stats: topology.Stats{Calls: 10, P50MS: 5, P99MS: 9},
		SpanKinds: []string{"SPAN_KIND_SERVER"}})
	sort.Slice(c.Nodes, func(i, j int) bool { return c.Nodes[i].Name < c.Nodes[j].Name })
	c.Edges = append(append([]topology.Edge(nil), g.Edges...), topology.Edge{From: "frontend", To: name, Kind: "http",
		Stats: topology.Stats{Calls: 10, P50MS: 5, P99MS: 9}})
	return &c
}

func ids(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, body := range readDir(t, dir) {
		if strings.HasPrefix(name, "RB-") {
			out[frontMatterOf(t, body).Key] = name
		}
	}
	return out
}

// frontMatterOf reads a generated document's front matter.
func frontMatterOf(t *testing.T, doc string) document.FrontMatter {
	t.Helper()
	fm, _, err := document.Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

func TestAddingAServiceKeepsEveryNumber(t *testing.T) {
	dir := t.TempDir()
	g := smallDemo(t)
	generate(t, g, dir)
	before := ids(t, dir)
	// "aaa" sorts first: numbering by sort order would shift every file.
	generate(t, withService(g, "aaa-new"), dir)
	after := ids(t, dir)
	for key, file := range before {
		if after[key] != file {
			t.Errorf("%s moved from %s to %s", key, file, after[key])
		}
	}
	next := len(before) + 1
	for _, sym := range []string{"high-error-rate", "high-latency"} {
		file := after["aaa-new/"+sym]
		if !strings.HasPrefix(file, "RB-0") || fileNumber(file) < next {
			t.Errorf("new runbook %s got %q, want a number from %d on", sym, file, next)
		}
	}
}

func fileNumber(f string) int {
	var n int
	for _, r := range f[3:6] {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestKeepBlocksSurviveRegeneration(t *testing.T) {
	dir := t.TempDir()
	g := smallDemo(t)
	generate(t, g, dir)
	path := filepath.Join(dir, "RB-009-checkout-high-error-rate.md")
	b, _ := os.ReadFile(path)
	note := "Call Dana before failing over: the backup account has a lower limit.\n"
	edited := strings.Replace(string(b), "<!-- rbgen:keep notes -->\n", "<!-- rbgen:keep notes -->\n"+note, 1)
	os.WriteFile(path, []byte(edited), 0o644)
	// New data changes the generated text around the block.
	p := generate(t, withService(g, "zzz-new"), dir)
	if len(p.Refused) != 0 {
		t.Fatalf("an edit inside a keep block was refused: %v", p.Refused)
	}
	after, _ := os.ReadFile(path)
	if !strings.Contains(string(after), note) {
		t.Error("the note inside the keep block was lost")
	}
}

func TestHandEditsOutsideKeepBlocksAreRefused(t *testing.T) {
	dir := t.TempDir()
	g := smallDemo(t)
	generate(t, g, dir)
	path := filepath.Join(dir, "RB-009-checkout-high-error-rate.md")
	b, _ := os.ReadFile(path)
	edited := strings.Replace(string(b), "## Remediation\n", "## Remediation\n\nRestart the pods.\n", 1)
	os.WriteFile(path, []byte(edited), 0o644)

	tmpl, _ := generator.LoadTemplates("")
	p, err := generator.PlanRunbooks(withService(g, "zzz-new"), generator.GenerateOptions{Dir: dir, Config: testConfig(t), Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(false)
	var ee *generator.EditedError
	if !errors.As(err, &ee) || len(ee.Files) != 1 || ee.Files[0] != path {
		t.Fatalf("err = %v, want an EditedError naming %s", err, path)
	}
	if !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "keep block") {
		t.Errorf("error does not say how to resolve: %v", err)
	}
	if now, _ := os.ReadFile(path); string(now) != edited {
		t.Error("the edited file was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "RB-029-zzz-new-high-error-rate.md")); err == nil {
		t.Error("a refused generation still wrote other files")
	}
	generate(t, g, dir, true)
	if now, _ := os.ReadFile(path); strings.Contains(string(now), "Restart the pods.") {
		t.Error("--force did not overwrite the edit")
	}
}

func TestVanishedNodesGoStaleAndComeBack(t *testing.T) {
	dir := t.TempDir()
	g := smallDemo(t)
	generate(t, withService(g, "legacy"), dir)
	file := ids(t, dir)["legacy/high-error-rate"]
	generate(t, g, dir)
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("the stale runbook was deleted: %v", err)
	}
	if !strings.Contains(string(b), "\nstatus: stale\n") {
		t.Error("the runbook is not marked stale")
	}
	toc, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(toc), "| stale |") {
		t.Error("the index does not show the stale runbook")
	}
	generate(t, withService(g, "legacy"), dir)
	if got := ids(t, dir)["legacy/high-error-rate"]; got != file {
		t.Errorf("came back as %s, was %s", got, file)
	}
	b, _ = os.ReadFile(filepath.Join(dir, file))
	if !strings.Contains(string(b), "\nstatus: active\n") {
		t.Error("the runbook did not become active again")
	}
}

func TestUpdateTOCFromFilesAlone(t *testing.T) {
	dir := t.TempDir()
	generate(t, smallDemo(t), dir)
	readme := filepath.Join(dir, "README.md")
	b, _ := os.ReadFile(readme)
	custom := "Team intro kept by rbgen.\n\n" + string(b) + "\nFooter kept too.\n"
	os.WriteFile(readme, []byte(custom), 0o644)
	os.Remove(filepath.Join(dir, "RB-001-ad-high-error-rate.md"))

	other := filepath.Join(t.TempDir(), "ops.md")
	os.WriteFile(other, []byte("# Ops\n\n"+generator.TOCStart+"\n"+generator.TOCEnd+"\n"), 0o644)
	tmpl, _ := generator.LoadTemplates("")
	changes, err := generator.PlanTOC(tmpl, dir, []string{other}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: changes}).Apply(false); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(readme)
	if strings.Contains(string(b), "RB-001") || !strings.Contains(string(b), "RB-002") {
		t.Error("the deleted runbook is still listed, or the others are gone")
	}
	if !strings.HasPrefix(string(b), "Team intro kept") || !strings.HasSuffix(string(b), "Footer kept too.\n") {
		t.Error("text outside the markers was not kept")
	}
	o, _ := os.ReadFile(other)
	rel, _ := filepath.Rel(filepath.Dir(other), dir)
	if !strings.Contains(string(o), "]("+filepath.ToSlash(rel)+"/RB-002-ad-high-latency.md)") {
		t.Errorf("links in another document are not relative to it:\n%s", o)
	}
}

func TestBrokenTemplateNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "runbook.md.tmpl"), []byte("---\nid: {{ .ID }}\n---\n# {{ .Titel }\n"), 0o644)
	_, err := generator.LoadTemplates(dir)
	if err == nil || !strings.Contains(err.Error(), "runbook.md.tmpl:4") {
		t.Errorf("err = %v, want the template name and line 4", err)
	}
	os.WriteFile(filepath.Join(dir, "runbook.md.tmpl"), []byte("---\nid: {{ .ID }}\n---\n# {{ .Titel }}\n"), 0o644)
	tmpl, err := generator.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = generator.PlanRunbooks(smallDemo(t), generator.GenerateOptions{Dir: t.TempDir(), Config: testConfig(t), Templates: tmpl})
	if err == nil || !strings.Contains(err.Error(), "runbook.md.tmpl:4") || !strings.Contains(err.Error(), "Titel") {
		t.Errorf("err = %v, want the template name, line 4 and the bad field", err)
	}
	os.WriteFile(filepath.Join(dir, "runbok.md.tmpl"), []byte("x"), 0o644)
	if _, err := generator.LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), "runbok.md.tmpl") {
		t.Errorf("a misnamed override was not reported: %v", err)
	}
}

func TestTemplateOverrideReplacesByName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "toc.md.tmpl"), []byte("{{ range . }}* {{ .ID }}\n{{ end }}"), 0o644)
	tmpl, err := generator.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	generate(t, smallDemo(t), out)
	changes, _ := generator.PlanTOC(tmpl, out, nil, nil)
	if len(changes) != 1 || !bytes.Contains(changes[0].Content, []byte("* RB-001\n")) {
		t.Error("the override toc template was not used")
	}
}

func buildGraph(t *testing.T, path string) *topology.Graph {
	t.Helper()
	g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{path}}, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}
