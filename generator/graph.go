package generator

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rbgen/rbgen/topology"
)

// GraphFormats are the formats WriteGraph writes.
var GraphFormats = []string{"json", "mermaid", "dot"}

// IsGraphFormat says whether WriteGraph knows the format.
func IsGraphFormat(f string) bool { return slices.Contains(GraphFormats, f) }

// WriteGraph writes g in one of GraphFormats.
func WriteGraph(w io.Writer, g *topology.Graph, format string) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "json":
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		err = enc.Encode(g)
	case "mermaid":
		err = writeMermaid(bw, g)
	case "dot":
		err = writeDOT(bw, g)
	default:
		return fmt.Errorf("unknown graph format %q", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// nodeIDs gives each node a short ID made of safe characters: names from
// trace data never appear where the syntax would read them as code.
func nodeIDs(g *topology.Graph) map[string]string {
	ids := make(map[string]string, len(g.Nodes))
	for i, n := range g.Nodes {
		ids[n.Name] = "n" + strconv.Itoa(i)
	}
	return ids
}

// EdgeLabel is the text on an edge: kind, calls, error ratio, p99.
func EdgeLabel(e topology.Edge) string {
	parts := []string{e.Kind, HumanCount(e.Calls) + " calls"}
	if e.Errors > 0 {
		parts = append(parts, Percent(e.ErrorRatio())+" err")
	}
	parts = append(parts, "p99 "+Millis(e.P99MS))
	return strings.Join(parts, " · ")
}

func writeMermaid(w io.Writer, g *topology.Graph) error {
	ids := nodeIDs(g)
	fmt.Fprintln(w, "flowchart LR")
	for _, n := range g.Nodes {
		open, shut := mermaidShape(n.Kind)
		fmt.Fprintf(w, "  %s%s\"%s\"%s\n", ids[n.Name], open, MermaidText(n.Name), shut)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(w, "  %s -->|\"%s\"| %s\n", ids[e.From], MermaidText(EdgeLabel(e)), ids[e.To])
	}
	_, err := fmt.Fprintf(w, "%s", mermaidClasses(g, ids))
	return err
}

func mermaidShape(kind string) (string, string) {
	switch kind {
	case topology.KindDatabase, topology.KindCache:
		return "[(", ")]"
	case topology.KindMessaging:
		return "[[", "]]"
	case topology.KindExternal:
		return "{{", "}}"
	case topology.KindUser:
		return "([", "])"
	}
	return "[", "]"
}

// KindColours fill nodes by kind, the same in every picture rbgen draws.
var KindColours = map[string]string{
	topology.KindService:   "#dbeafe",
	topology.KindDatabase:  "#fde68a",
	topology.KindCache:     "#fed7aa",
	topology.KindMessaging: "#ddd6fe",
	topology.KindExternal:  "#e5e7eb",
	topology.KindUser:      "#d1fae5",
}

func mermaidClasses(g *topology.Graph, ids map[string]string) string {
	var b strings.Builder
	byKind := map[string][]string{}
	for _, n := range g.Nodes {
		byKind[n.Kind] = append(byKind[n.Kind], ids[n.Name])
	}
	for _, kind := range sortedKeys(byKind) {
		colour, ok := KindColours[kind]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  classDef %s fill:%s,stroke:#374151\n", kind, colour)
		fmt.Fprintf(&b, "  class %s %s\n", strings.Join(byKind[kind], ","), kind)
	}
	return b.String()
}

func writeDOT(w io.Writer, g *topology.Graph) error {
	ids := nodeIDs(g)
	fmt.Fprintln(w, "digraph rbgen {")
	fmt.Fprintln(w, `  rankdir=LR;`)
	fmt.Fprintln(w, `  node [shape=box, style="rounded,filled", fontname="Helvetica"];`)
	fmt.Fprintln(w, `  edge [fontname="Helvetica", fontsize=10];`)
	for _, n := range g.Nodes {
		fmt.Fprintf(w, "  %s [label=%s, shape=%s, fillcolor=%q];\n",
			ids[n.Name], DOTString(n.Name), dotShape(n.Kind), KindColours[n.Kind])
	}
	for _, e := range g.Edges {
		fmt.Fprintf(w, "  %s -> %s [label=%s];\n", ids[e.From], ids[e.To], DOTString(EdgeLabel(e)))
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}

func dotShape(kind string) string {
	switch kind {
	case topology.KindDatabase, topology.KindCache:
		return "cylinder"
	case topology.KindMessaging:
		return "cds"
	case topology.KindExternal:
		return "hexagon"
	case topology.KindUser:
		return "oval"
	}
	return "box"
}
