package site

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
)

// SVG layout: callers left, callees right. Each node's layer is its
// longest path from a node nobody calls (cycles broken by first visit);
// nodes in a layer are ordered by the mean position of their callers, two
// sweeps, which untangles most service graphs.
const (
	boxW, boxH     = 170, 38
	layerGap       = 120
	rowGap         = 26
	svgPad         = 20
	maxLabelLength = 24
)

type placed struct {
	node  topology.Node
	layer int
	x, y  float64
	order float64
}

// GraphSVG draws a graph as a self-contained inline SVG. Every name is
// XML-escaped; nothing in it runs.
func GraphSVG(g *topology.Graph, highlight string, perMinute time.Duration) string {
	return LinkedGraphSVG(g, highlight, perMinute, nil)
}

// LinkedGraphSVG is GraphSVG with each node a link to the page href
// names for it (none where href returns "").
func LinkedGraphSVG(g *topology.Graph, highlight string, perMinute time.Duration, href func(node string) string) string {
	if len(g.Nodes) == 0 {
		return ""
	}
	nodes := layout(g)
	width, height := 0.0, 0.0
	for _, p := range nodes {
		width = math.Max(width, p.x+boxW+svgPad)
		height = math.Max(height, p.y+boxH+svgPad)
	}
	var labels labelSpace
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="dependency graph">`, width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7280"/></marker></defs>`)
	for _, e := range g.Edges {
		from, to := nodes[e.From], nodes[e.To]
		if from == nil || to == nil {
			continue
		}
		x1, y1 := from.x+boxW, from.y+boxH/2
		x2, y2 := to.x, to.y+boxH/2
		colour := "#6b7280"
		if e.ErrorRatio() >= 0.01 {
			colour = "#dc2626"
		}
		path := fmt.Sprintf("M %.0f %.0f C %.0f %.0f, %.0f %.0f, %.0f %.0f", x1, y1, x1+40, y1, x2-40, y2, x2, y2)
		if from == to {
			path = fmt.Sprintf("M %.0f %.0f C %.0f %.0f, %.0f %.0f, %.0f %.0f", x1, y1-8, x1+50, y1-50, from.x-50, y1-50, from.x, y1-8)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.4" marker-end="url(#arrow)"><title>%s</title></path>`,
			path, colour, esc(e.From+" → "+e.To+": "+generator.EdgeLabel(e)))
		// Near the callee: a fan-out's labels would all sit on top of each
		// other next to the caller. Labels that would still overlap move
		// down a line until they are clear.
		label := rateLabel(e, g, perMinute)
		lx, ly := labels.place(x1+(x2-x1)*0.68, y1+(y2-y1)*0.8-4, float64(len(label))*5.5)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="edge-label">%s</text>`, lx, ly, esc(label))
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := nodes[n]
		stroke, width := "#374151", 1.0
		if n == highlight {
			stroke, width = "#dc2626", 3
		}
		link := ""
		if href != nil {
			link = href(n)
		}
		if link != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(link))
		}
		fmt.Fprintf(&b, `<g class="node node-%s"><rect x="%.0f" y="%.0f" width="%d" height="%d" rx="8" fill="%s" stroke="%s" stroke-width="%.0f"/>`,
			p.node.Kind, p.x, p.y, boxW, boxH, generator.KindColours[p.node.Kind], stroke, width)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="node-label">%s</text><title>%s (%s)</title></g>`,
			p.x+boxW/2, p.y+boxH/2+4, esc(shorten(n)), esc(n), esc(p.node.Kind))
		if link != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(generator.Clean(s)) }

func shorten(s string) string {
	r := []rune(generator.Clean(s))
	if len(r) > maxLabelLength {
		return string(r[:maxLabelLength-1]) + "…"
	}
	return string(r)
}

// rateLabel is calls per minute over the graph's window, and the error ratio.
func rateLabel(e topology.Edge, g *topology.Graph, perMinute time.Duration) string {
	minutes := g.Window.End.Sub(g.Window.Start).Minutes()
	if perMinute > 0 {
		minutes = perMinute.Minutes()
	}
	label := generator.HumanCount(e.Calls) + " calls"
	switch rate := float64(e.Calls) / minutes; {
	case minutes < 1:
	case rate >= 1:
		label = fmt.Sprintf("%.3g/min", rate)
	default:
		label = fmt.Sprintf("%.2g/h", rate*60)
	}
	if e.Errors > 0 {
		label += " · " + generator.Percent(e.ErrorRatio()) + " err"
	}
	return label
}

func layout(g *topology.Graph) map[string]*placed {
	nodes := map[string]*placed{}
	for _, n := range g.Nodes {
		nodes[n.Name] = &placed{node: n, layer: -1}
	}
	callers := map[string][]string{}
	callees := map[string][]string{}
	for _, e := range g.Edges {
		if e.From != e.To && nodes[e.From] != nil && nodes[e.To] != nil {
			callers[e.To] = append(callers[e.To], e.From)
			callees[e.From] = append(callees[e.From], e.To)
		}
	}
	// Longest path from the roots, each node relaxed along the edges of a
	// DFS tree so cycles cannot loop.
	var visit func(n string, depth int, onPath map[string]bool)
	visit = func(n string, depth int, onPath map[string]bool) {
		p := nodes[n]
		if depth <= p.layer || onPath[n] {
			return
		}
		p.layer = depth
		onPath[n] = true
		for _, c := range callees[n] {
			visit(c, depth+1, onPath)
		}
		delete(onPath, n)
	}
	for _, n := range g.Nodes {
		if len(callers[n.Name]) == 0 {
			visit(n.Name, 0, map[string]bool{})
		}
	}
	for _, n := range g.Nodes {
		if nodes[n.Name].layer < 0 {
			visit(n.Name, 0, map[string]bool{})
		}
	}
	layers := map[int][]*placed{}
	maxLayer := 0
	for _, n := range g.Nodes {
		p := nodes[n.Name]
		layers[p.layer] = append(layers[p.layer], p)
		maxLayer = max(maxLayer, p.layer)
	}
	for i, p := range layers[0] {
		p.order = float64(i)
	}
	for sweep := 0; sweep < 2; sweep++ {
		for l := 1; l <= maxLayer; l++ {
			for _, p := range layers[l] {
				sum, n := 0.0, 0
				for _, c := range callers[p.node.Name] {
					if q := nodes[c]; q.layer < l {
						sum += q.order
						n++
					}
				}
				if n > 0 {
					p.order = sum / float64(n)
				}
			}
			sort.SliceStable(layers[l], func(i, j int) bool {
				a, b := layers[l][i], layers[l][j]
				if a.order != b.order {
					return a.order < b.order
				}
				return a.node.Name < b.node.Name
			})
			for i, p := range layers[l] {
				p.order = float64(i)
			}
		}
	}
	tallest := 0
	for _, ps := range layers {
		tallest = max(tallest, len(ps))
	}
	for l := 0; l <= maxLayer; l++ {
		ps := layers[l]
		offset := float64(tallest-len(ps)) * (boxH + rowGap) / 2
		for i, p := range ps {
			p.x = svgPad + float64(l)*(boxW+layerGap)
			p.y = svgPad + offset + float64(i)*(boxH+rowGap)
		}
	}
	return nodes
}

// chartSVG draws a series of values as bars, a line, or bars with a line
// (a suspect's minutes against its baseline), with a few labels.
func chartSVG(c generator.Chart) string {
	title, labels, bars, line := c.Title, c.Labels, c.Bars, c.Line
	gap := func(i int) bool { return i < len(c.Gaps) && c.Gaps[i] }
	if len(labels) == 0 || len(bars)+len(line) == 0 {
		return ""
	}
	const w, h, left, bottom = 720.0, 200.0, 48.0, 28.0
	top := 0.0
	for _, v := range append(append([]float64{}, bars...), line...) {
		top = math.Max(top, v)
	}
	if top == 0 {
		top = 1
	}
	step := (w - left - 10) / float64(len(labels))
	y := func(v float64) float64 { return h - bottom - v/top*(h-bottom-20) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`, w, h, w, h, esc(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="14" class="chart-title">%s</text>`, left, esc(title))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#9ca3af"/>`, left, h-bottom, w-10, h-bottom)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="axis">%s</text>`, left-6, y(top)+4, esc(fmt.Sprintf("%.3g", top)))
	for i := range labels {
		if gap(i) {
			// No traffic: shaded, no bar and no point, so it cannot read
			// as a recovery.
			fmt.Fprintf(&b, `<rect x="%.1f" y="20" width="%.1f" height="%.1f" fill="#f3f4f6"><title>%s: no traffic</title></rect>`,
				left+float64(i)*step, step, h-bottom-20, esc(labels[i]))
		}
	}
	for i, v := range bars {
		if gap(i) {
			continue
		}
		x := left + float64(i)*step
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#dc2626"><title>%s: %s</title></rect>`,
			x+1, y(v), math.Max(step-2, 1), h-bottom-y(v), esc(labels[i]), esc(fmt.Sprintf("%.3g", v)))
	}
	var pts []string
	flush := func() {
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#2563eb" stroke-width="2"/>`, strings.Join(pts, " "))
		}
		pts = nil
	}
	for i, v := range line {
		if gap(i) {
			flush()
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", left+float64(i)*step+step/2, y(v)))
	}
	flush()
	for _, m := range c.Marks {
		if m.At < 0 || m.At >= len(labels) {
			continue
		}
		x := left + float64(m.At)*step + step/2
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%.0f" stroke="#7c3aed" stroke-dasharray="4 3"><title>%s</title></line>`, x, x, h-bottom, esc(labels[m.At]+": "+m.What))
		fmt.Fprintf(&b, `<text x="%.1f" y="30" class="axis mark">▲ %s</text>`, x+3, esc(shorten(m.What)))
	}
	for i, l := range labels {
		if i%max(1, len(labels)/8) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="axis">%s</text>`, left+float64(i)*step, h-8, esc(l))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// labelSpace remembers where edge labels went, so the next one can avoid
// them.
type labelSpace struct{ taken [][4]float64 }

const labelLine = 12

// place returns where a label of width w centred at x, y lands: there, or
// the first line below it that no earlier label overlaps.
func (l *labelSpace) place(x, y, w float64) (float64, float64) {
	for try := 0; try < 6; try++ {
		r := [4]float64{x - w/2, y - labelLine + 2, x + w/2, y + 2}
		clear := true
		for _, t := range l.taken {
			if r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3] {
				clear = false
				break
			}
		}
		if clear {
			l.taken = append(l.taken, r)
			return x, y
		}
		y += labelLine
	}
	return x, y
}
