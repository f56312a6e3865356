package site

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gomarkdown/markdown"
	"github.com/gomarkdown/markdown/ast"
	mdhtml "github.com/gomarkdown/markdown/html"
	"github.com/gomarkdown/markdown/parser"
	"github.com/microcosm-cc/bluemonday"

	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
)

//go:embed page.html.tmpl site.css filter.js graph.js
var siteFS embed.FS

// Options say what to publish and where.
type Options struct {
	RunbookDir, PostmortemDir, Out string
	// BaseURL is where the site will be served, for the canonical link
	// only: every link inside the site is relative, so it works from any
	// sub-path and from file://.
	BaseURL string
}

// page is one HTML page of the site.
type page struct {
	Path, Title, Kind string
	Meta              []string
	TOC               []tocItem
	Body              template.HTML
	Prev, Next        *pageLink
	Up                pageLink
	Root              string // relative path to the site root, "" or "../"
	Canonical         string
	CSS, Script       template.CSS
	JS                template.JS
}

type tocItem struct {
	ID, Text string
	Level    int
}

type pageLink struct{ Href, Title string }

// doc is a runbook or postmortem read from disk.
type doc struct {
	file, id, title, node, symptom, severity, owner, status, start, end string
	kind                                                                string // runbook or postmortem
	suspects                                                            []string
	body                                                                string
	charts                                                              []generator.Chart // a postmortem's, from its charts file
}

// ErrNothingToPublish says the folders hold no runbook and no postmortem.
var ErrNothingToPublish = errors.New("nothing to publish")

// Publish renders the runbooks and postmortems into a static site, as
// changes to write.
func Publish(opt Options) ([]generator.Change, error) {
	rbs, err := readDocs(opt.RunbookDir, generator.RunbookName, "runbook")
	if err != nil {
		return nil, err
	}
	pms, err := readDocs(opt.PostmortemDir, generator.PostmortemName, "postmortem")
	if err != nil {
		return nil, err
	}
	if len(rbs) == 0 && len(pms) == 0 {
		return nil, fmt.Errorf("%w: no RB-*.md in %s and no PM-*.md in %s", ErrNothingToPublish, opt.RunbookDir, opt.PostmortemDir)
	}
	g := loadGraph(opt.RunbookDir)
	tmpl, err := template.New("page").ParseFS(siteFS, "page.html.tmpl")
	if err != nil {
		return nil, err
	}
	css, _ := siteFS.ReadFile("site.css")
	js, _ := siteFS.ReadFile("filter.js")
	gjs, _ := siteFS.ReadFile("graph.js")
	s := &site{opt: opt, g: g, tmpl: tmpl, css: template.CSS(css), js: template.JS(js), graphJS: template.JS(gjs), policy: sanitizer()}
	var nodes []string
	for _, d := range rbs {
		nodes = append(nodes, d.node)
	}
	for _, n := range g.Nodes {
		nodes = append(nodes, n.Name)
	}
	s.countSlugs(nodes)
	s.runbookPages(rbs)
	s.postmortemPages(pms)
	s.servicePages(rbs, pms)
	s.graphPage()
	s.indexPage(rbs, pms)
	return s.changes, s.err
}

type site struct {
	opt     Options
	g       *topology.Graph
	tmpl    *template.Template
	css     template.CSS
	js      template.JS
	graphJS template.JS
	policy  *bluemonday.Policy
	changes []generator.Change
	err     error
	// slugUsers and servicePage name the service pages (see serviceHref).
	slugUsers   map[string]int
	servicePage map[string]string
}

func readDocs(dir string, name *regexp.Regexp, kind string) ([]doc, error) {
	files, err := generator.FilesMatching(dir, name)
	if err != nil {
		return nil, err
	}
	var out []doc
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		fm, body, err := document.Read(string(b))
		if err != nil && !errors.Is(err, document.ErrNoFrontMatter) {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
		}
		d := doc{file: f, kind: kind, body: body, id: fm.ID, title: fm.Title, node: nodeOf(fm), symptom: fm.Symptom,
			severity: fm.Severity, owner: fm.Owner, status: fm.Status, start: fm.Start, end: fm.End, suspects: fm.Suspects}
		if kind == "postmortem" {
			if d.charts, err = readCharts(filepath.Join(dir, strings.TrimSuffix(f, ".md")+generator.ChartsSuffix)); err != nil {
				return nil, err
			}
		}
		if d.title == "" {
			d.title = f
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if kind == "postmortem" {
			return out[i].file > out[j].file
		}
		return generator.FileNum(out[i].file) < generator.FileNum(out[j].file)
	})
	return out, nil
}

func loadGraph(dir string) *topology.Graph {
	b, err := os.ReadFile(filepath.Join(dir, generator.GraphFile))
	if err != nil {
		return &topology.Graph{}
	}
	var g topology.Graph
	if json.Unmarshal(b, &g) != nil {
		return &topology.Graph{}
	}
	return &g
}

// sanitizer allows what rendered Markdown needs and nothing that runs:
// bluemonday's user-content policy (no scripts, no event handlers, no
// javascript: URLs, no styles), plus heading IDs and code languages.
func sanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-z]+$`)).OnElements("code")
	return p
}

var fenceRE = regexp.MustCompile("(?ms)^(`{3,})mermaid\n(.*?)^`{3,}\n")

// render turns a document's Markdown into safe HTML. Mermaid blocks become
// figures drawn by rbgen (SVG, no script); links to .md files point at
// the .html pages.
func (s *site) render(d doc) (template.HTML, []tocItem) {
	var figures []string
	// The page header shows the title; the document's own top heading
	// would repeat it.
	body := h1RE.ReplaceAllString(d.body, "")
	body = fenceRE.ReplaceAllStringFunc(body, func(block string) string {
		m := fenceRE.FindStringSubmatch(block)
		figures = append(figures, s.figure(d, m[2]))
		return fmt.Sprintf("\nRBGENFIGURE%d\n\n", len(figures)-1)
	})
	p := parser.NewWithExtensions(parser.CommonExtensions | parser.AutoHeadingIDs)
	tree := p.Parse([]byte(body))
	toc := headings(tree)
	r := mdhtml.NewRenderer(mdhtml.RendererOptions{Flags: mdhtml.CommonFlags | mdhtml.SkipHTML})
	out := string(s.policy.SanitizeBytes(markdown.Render(tree, r)))
	out = mdLinkRE.ReplaceAllString(out, `href="$1.html$2"`)
	for i, f := range figures {
		out = strings.Replace(out, fmt.Sprintf("<p>RBGENFIGURE%d</p>", i), `<figure>`+f+`</figure>`, 1)
	}
	return template.HTML(out), toc
}

var h1RE = regexp.MustCompile(`(?m)\A\s*# .*\n`)

var mdLinkRE = regexp.MustCompile(`href="([^"#:]+?)\.md(#[^"]*)?"`)

// figure draws a Mermaid block's content with rbgen's own SVG: the
// dependency picture of a runbook's node, or a postmortem's chart from its
// charts file (the block names which by being that chart's Mermaid).
func (s *site) figure(d doc, mermaid string) string {
	if strings.HasPrefix(mermaid, "xychart-beta") {
		for _, c := range d.charts {
			if strings.TrimSpace(c.Mermaid()) == strings.TrimSpace(mermaid) {
				return chartFigure(c)
			}
		}
		return `<p class="note">This chart is not in the draft's charts file (` + template.HTMLEscapeString(strings.TrimSuffix(d.file, ".md")+generator.ChartsSuffix) +
			`, which rbgen postmortem writes); the Markdown holds it as Mermaid.</p>`
	}
	if d.node != "" {
		if _, ok := s.g.Node(d.node); ok {
			return GraphSVG(s.g.Neighbourhood(d.node), d.node, 0)
		}
	}
	return `<p class="note">The picture needs the graph snapshot (` + generator.GraphFile + `) that rbgen generate writes.</p>`
}

// chartFigure draws a chart from a charts file as SVG; nothing when its
// series do not fit its labels (a file edited by hand, or cut short).
func chartFigure(c generator.Chart) string {
	if c.Bars != nil && len(c.Bars) != len(c.Labels) || c.Line != nil && len(c.Line) != len(c.Labels) {
		return ""
	}
	return chartSVG(c)
}

// nodeOf is the exact node a runbook is about: its front matter's service
// is cleaned and cut for display, its key is exact, and service pages and
// graph pictures need the node as the graph names it.
func nodeOf(fm document.FrontMatter) string {
	if key := fm.RunbookKey(); key != "" && fm.Symptom != "" {
		if node, ok := strings.CutSuffix(key, "/"+fm.Symptom); ok {
			return node
		}
	}
	return fm.Service
}

// readCharts reads a postmortem's charts file; none is no charts.
func readCharts(path string) ([]generator.Chart, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cs, err := generator.DecodeCharts(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

func headings(tree ast.Node) []tocItem {
	var out []tocItem
	ast.WalkFunc(tree, func(n ast.Node, entering bool) ast.WalkStatus {
		h, ok := n.(*ast.Heading)
		if !ok || !entering || h.Level < 2 || h.Level > 3 {
			return ast.GoToNext
		}
		var text strings.Builder
		ast.WalkFunc(h, func(c ast.Node, entering bool) ast.WalkStatus {
			if l := c.AsLeaf(); l != nil && entering {
				text.Write(l.Literal)
			}
			return ast.GoToNext
		})
		out = append(out, tocItem{ID: h.HeadingID, Text: text.String(), Level: h.Level})
		return ast.SkipChildren
	})
	return out
}

func (s *site) write(pg *page) {
	// Titles come from names and front matter a person may have edited:
	// printable and unable to reorder the text, whatever wrote them.
	pg.Title, pg.Up.Title = generator.Clean(pg.Title), generator.Clean(pg.Up.Title)
	for i := range pg.Meta {
		pg.Meta[i] = generator.Clean(pg.Meta[i])
	}
	for _, l := range []*pageLink{pg.Prev, pg.Next} {
		if l != nil {
			l.Title = generator.Clean(l.Title)
		}
	}
	pg.CSS = s.css
	if s.opt.BaseURL != "" {
		pg.Canonical = strings.TrimRight(s.opt.BaseURL, "/") + "/" + pg.Path
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "page.html.tmpl", pg); err != nil && s.err == nil {
		s.err = fmt.Errorf("render %s: %w", pg.Path, err)
	}
	s.changes = append(s.changes, generator.Change{Path: filepath.Join(s.opt.Out, filepath.FromSlash(pg.Path)), Content: buf.Bytes(), Reason: "page"})
}

func htmlName(file string) string { return strings.TrimSuffix(file, ".md") + ".html" }

// serviceHref is a node's page. Names that slug alike ("a/b", "a-b") each
// get a suffix from their own hash, so no page stands for two nodes and
// which of them gets which name does not depend on their order.
func (s *site) serviceHref(node string) string {
	if s.servicePage == nil {
		s.servicePage = map[string]string{}
	}
	if p, ok := s.servicePage[node]; ok {
		return p
	}
	slug := generator.Slug(node)
	if s.slugUsers[slug] > 1 {
		sum := sha256.Sum256([]byte(node))
		slug += "-" + hex.EncodeToString(sum[:3])
	}
	p := "services/" + slug + ".html"
	s.servicePage[node] = p
	return p
}

// countSlugs notes how many nodes share each slug, before any page names one.
func (s *site) countSlugs(nodes []string) {
	s.slugUsers = map[string]int{}
	seen := map[string]bool{}
	for _, n := range nodes {
		if !seen[n] {
			seen[n] = true
			s.slugUsers[generator.Slug(n)]++
		}
	}
}

func (s *site) runbookPages(rbs []doc) {
	for i, d := range rbs {
		body, toc := s.render(d)
		pg := &page{Path: "runbooks/" + htmlName(d.file), Title: d.title, Kind: "runbook", Body: body, TOC: toc, Root: "../",
			Up:   pageLink{Href: "../index.html", Title: "All runbooks"},
			Meta: []string{"severity " + d.severity, "owner " + d.owner, d.status}}
		if d.node != "" {
			pg.Meta = append(pg.Meta, "node "+d.node)
		}
		if i > 0 {
			pg.Prev = &pageLink{Href: htmlName(rbs[i-1].file), Title: rbs[i-1].title}
		}
		if i+1 < len(rbs) {
			pg.Next = &pageLink{Href: htmlName(rbs[i+1].file), Title: rbs[i+1].title}
		}
		s.write(pg)
	}
}

func (s *site) postmortemPages(pms []doc) {
	for i, d := range pms {
		body, toc := s.render(d)
		pg := &page{Path: "postmortems/" + htmlName(d.file), Title: d.title, Kind: "postmortem", Body: body, TOC: toc, Root: "../",
			Up:   pageLink{Href: "../index.html#postmortems", Title: "All postmortems"},
			Meta: []string{"severity " + d.severity, d.status, d.start + " – " + d.end}}
		if i > 0 {
			pg.Prev = &pageLink{Href: htmlName(pms[i-1].file), Title: pms[i-1].title}
		}
		if i+1 < len(pms) {
			pg.Next = &pageLink{Href: htmlName(pms[i+1].file), Title: pms[i+1].title}
		}
		s.write(pg)
	}
}

func (s *site) servicePages(rbs []doc, pms []doc) {
	byNode := map[string][]doc{}
	for _, d := range rbs {
		if d.node != "" {
			byNode[d.node] = append(byNode[d.node], d)
		}
	}
	for _, n := range s.g.Nodes {
		if _, ok := byNode[n.Name]; !ok && n.Kind != topology.KindUser {
			byNode[n.Name] = nil
		}
	}
	for _, node := range slices.Sorted(maps.Keys(byNode)) {
		var b strings.Builder
		if n, ok := s.g.Node(node); ok {
			fmt.Fprintf(&b, `<p>%s · %s calls · error ratio %s · p99 %s</p>`, esc(n.Kind), esc(generator.HumanCount(n.Calls)),
				esc(generator.Percent(n.ErrorRatio())), esc(generator.Millis(n.P99MS)))
			b.WriteString(s.numbersNote())
			b.WriteString(`<figure>` + GraphSVG(s.g.Neighbourhood(node), node, 0) + `</figure>`)
			b.WriteString(failuresHTML(s.g, n))
			b.WriteString(versionsHTML(n))
		}
		b.WriteString(`<h2 id="runbooks">Runbooks</h2><ul>`)
		for _, d := range byNode[node] {
			fmt.Fprintf(&b, `<li><a href="../runbooks/%s">%s</a> <span class="badge sev-%s">%s</span></li>`,
				esc(htmlName(d.file)), esc(d.title), esc(d.severity), esc(d.severity))
		}
		if len(byNode[node]) == 0 {
			b.WriteString(`<li>None.</li>`)
		}
		b.WriteString(`</ul>`)
		var related []doc
		for _, d := range pms {
			for _, sus := range d.suspects {
				if sus == node {
					related = append(related, d)
					break
				}
			}
		}
		if len(related) > 0 {
			b.WriteString(`<h2 id="postmortems">Postmortems naming it</h2><ul>`)
			for _, d := range related {
				fmt.Fprintf(&b, `<li><a href="../postmortems/%s">%s</a></li>`, esc(htmlName(d.file)), esc(d.title))
			}
			b.WriteString(`</ul>`)
		}
		s.write(&page{Path: s.serviceHref(node), Title: node, Kind: "service", Body: template.HTML(b.String()), Root: "../",
			Up: pageLink{Href: "../index.html", Title: "All runbooks"}})
	}
}

func (s *site) graphPage() {
	body := `<p>Every service and dependency the traces show; arrows go from caller to callee, red ones fail 1 % or more.</p>`
	if len(s.g.Nodes) > 0 {
		body += `<div class="zoom" role="group" aria-label="Zoom"><button type="button" data-zoom="in" title="Zoom in">+</button>` +
			`<button type="button" data-zoom="out" title="Zoom out">−</button><button type="button" data-zoom="fit" title="Fit to the page">Fit</button>` +
			`<button type="button" data-zoom="actual" title="Actual size">1:1</button> <span class="hint">drag to pan; a node opens its page</span></div>` +
			`<figure class="wide pan">` + LinkedGraphSVG(s.g, "", 0, s.pageOf) + `</figure>`
	} else {
		body += `<p class="note">No graph snapshot: run rbgen generate first.</p>`
	}
	s.write(&page{Path: "graph.html", Title: "Dependency graph", Kind: "graph", Body: template.HTML(body),
		Up: pageLink{Href: "index.html", Title: "All runbooks"}, JS: s.graphJS})
}

// pageOf is the node's page, relative to the site root; "" for the user.
func (s *site) pageOf(node string) string {
	if n, ok := s.g.Node(node); !ok || n.Kind == topology.KindUser {
		return ""
	}
	return s.serviceHref(node)
}

// numbersNote says where the snapshot's numbers came from, "" without one.
func (s *site) numbersNote() string {
	if len(s.g.Nodes) == 0 {
		return ""
	}
	return `<p class="note">` + esc(generator.NumbersOf(s.g).Sentence()) + `</p>`
}

func (s *site) indexPage(rbs, pms []doc) {
	var b strings.Builder
	b.WriteString(s.numbersNote())
	b.WriteString(`<div class="filters" id="filters">`)
	for _, f := range []struct{ key, label string }{{"service", "Service"}, {"severity", "Severity"}, {"owner", "Owner"}, {"status", "Status"}} {
		values := map[string]bool{}
		for _, d := range rbs {
			values[field(d, f.key)] = true
		}
		fmt.Fprintf(&b, `<label>%s <select data-filter="%s"><option value="">all</option>`, f.label, f.key)
		for _, v := range slices.Sorted(maps.Keys(values)) {
			fmt.Fprintf(&b, `<option>%s</option>`, esc(v))
		}
		b.WriteString(`</select></label>`)
	}
	b.WriteString(`<label>Search <input type="search" data-search placeholder="service, symptom, ID"></label> <span id="shown"></span></div>`)
	b.WriteString(`<table class="runbooks"><thead><tr><th>ID</th><th>Runbook</th><th>Service</th><th>Symptom</th><th>Severity</th><th>Owner</th><th>Status</th></tr></thead><tbody>`)
	for _, d := range rbs {
		fmt.Fprintf(&b, `<tr data-service="%s" data-severity="%s" data-owner="%s" data-status="%s"><td>%s</td><td><a href="runbooks/%s">%s</a></td><td><a href="%s">%s</a></td><td>%s</td><td><span class="badge sev-%s">%s</span></td><td>%s</td><td>%s</td></tr>`,
			esc(d.node), esc(d.severity), esc(d.owner), esc(d.status), esc(d.id), esc(htmlName(d.file)),
			esc(strings.TrimPrefix(d.title, d.id+": ")), esc(s.serviceHref(d.node)), esc(d.node), esc(d.symptom),
			esc(d.severity), esc(d.severity), esc(d.owner), esc(d.status))
	}
	b.WriteString(`</tbody></table>`)
	b.WriteString(`<h2 id="postmortems">Postmortems</h2>`)
	if len(pms) == 0 {
		b.WriteString(`<p>None yet: rbgen postmortem drafts them.</p>`)
	} else {
		b.WriteString(`<table><thead><tr><th>Postmortem</th><th>Window (UTC)</th><th>Severity</th><th>First suspect</th><th>Status</th></tr></thead><tbody>`)
		for _, d := range pms {
			first := ""
			if len(d.suspects) > 0 {
				first = d.suspects[0]
			}
			fmt.Fprintf(&b, `<tr><td><a href="postmortems/%s">%s</a></td><td>%s – %s</td><td><span class="badge sev-%s">%s</span></td><td>%s</td><td>%s</td></tr>`,
				esc(htmlName(d.file)), esc(d.title), esc(d.start), esc(d.end), esc(d.severity), esc(d.severity), esc(first), esc(d.status))
		}
		b.WriteString(`</tbody></table>`)
	}
	s.write(&page{Path: "index.html", Title: "Runbooks", Kind: "index", Body: template.HTML(b.String()), JS: s.js})
}

func field(d doc, key string) string {
	switch key {
	case "service":
		return d.node
	case "severity":
		return d.severity
	case "owner":
		return d.owner
	}
	return d.status
}

// failuresHTML tables what the node's failed spans and calls said.
func failuresHTML(g *topology.Graph, n topology.Node) string {
	type row struct {
		f     topology.Failure
		where string
	}
	var rows []row
	for _, op := range n.Operations {
		for _, f := range op.Failures {
			rows = append(rows, row{f, "in " + op.Name})
		}
	}
	for _, e := range g.Downstream(n.Name) {
		for _, f := range e.Failures {
			rows = append(rows, row{f, "calling " + e.To})
		}
	}
	if len(rows) == 0 {
		return ""
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].f.Count > rows[j].f.Count })
	var b strings.Builder
	b.WriteString(`<h2 id="failures">What the failures say</h2><table><thead><tr><th>Pattern</th><th>Where</th><th>Failed spans</th><th>Seen (UTC)</th><th>Example trace</th></tr></thead><tbody>`)
	for _, r := range rows {
		fmt.Fprintf(&b, `<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s – %s</td><td><code>%s</code></td></tr>`,
			esc(r.f.Pattern), esc(r.where), esc(generator.HumanCount(r.f.Count)),
			esc(r.f.Seen.Start.UTC().Format("2006-01-02 15:04")), esc(r.f.Seen.End.UTC().Format("2006-01-02 15:04")), esc(r.f.Trace))
	}
	b.WriteString(`</tbody></table>`)
	return b.String()
}

// versionsHTML tables the versions the node ran.
func versionsHTML(n topology.Node) string {
	if len(n.Versions) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<h2 id="versions">Versions</h2><table><thead><tr><th>service.version</th><th>First seen (UTC)</th><th>Last seen (UTC)</th><th>Requests</th><th>Failed</th></tr></thead><tbody>`)
	for _, v := range n.Versions {
		fmt.Fprintf(&b, `<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>`, esc(v.Version),
			esc(v.FirstSeen.UTC().Format("2006-01-02 15:04")), esc(v.LastSeen.UTC().Format("2006-01-02 15:04")),
			esc(generator.HumanCount(v.Requests)), esc(generator.Percent(v.FailedRatio())))
	}
	b.WriteString(`</tbody></table>`)
	return b.String()
}
