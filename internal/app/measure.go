package app

import (
	"context"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/tempo"
	"github.com/rbgen/rbgen/topology"
)

// MeasureWithTempo asks Tempo's TraceQL metrics for the numbers of the
// graph's nodes: each service (under every name merged into it), its
// operations and its calls to other services, and each database, cache
// or external API counted on its callers' client spans, selected as its
// runbook's TraceQL selects them.
func MeasureWithTempo(ctx context.Context, client *tempo.Client, g *topology.Graph) (topology.Measured, error) {
	m, err := client.Measure(ctx, measuredServices(g))
	if err != nil {
		return m, err
	}
	selectors := map[string]string{}
	for _, n := range g.Nodes {
		if n.Virtual {
			selectors[n.Name] = generator.TraceQLSelector(n)
		}
	}
	nodes, edges, err := client.MeasureCalled(ctx, selectors)
	if err != nil {
		return m, err
	}
	m.Nodes, m.Edges = map[string]topology.Stats{}, map[[2]string]topology.Stats{}
	calls := map[[2]string]*topology.Histogram{}
	for name, h := range nodes {
		m.Nodes[name] = h.Stats("")
		for caller, e := range edges[name] {
			// Two spellings of one caller are one edge.
			k := [2]string{g.Canonical(caller), name}
			if calls[k] == nil {
				calls[k] = &topology.Histogram{}
			}
			calls[k].Add(e)
		}
	}
	for k, h := range calls {
		m.Edges[k] = h.Stats("")
	}
	return m, nil
}

// measuredServices are the service names to ask metrics about: every
// service node, and every name merged into one.
func measuredServices(g *topology.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		if !n.Virtual && n.Kind != topology.KindUser {
			out = append(out, n.Name)
		}
	}
	for _, m := range g.Merged {
		if n, ok := g.Node(m.Into); ok && !n.Virtual {
			out = append(out, m.From)
		}
	}
	return out
}
