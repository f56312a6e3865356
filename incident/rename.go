package incident

import (
	"strings"

	"github.com/rbgen/rbgen/topology"
)

// Finish closes every trace and returns the graph, with the profiles'
// names made the graph's: a node the graph merged (an alias, an address
// another span names, a subnet, letter case) is one node in the analysis
// too, so a suspect is named as its runbook is.
func (b *Builder) Finish() *topology.Graph {
	g := b.Builder.Finish()
	b.UseNames(g)
	return g
}

// UseNames renames the profiles' nodes as g merged them, for a caller
// that finished the embedded topology builder itself.
func (b *Builder) UseNames(g *topology.Graph) {
	if len(g.Merged) == 0 {
		return
	}
	for _, p := range []*Profile{b.Baseline, b.Window} {
		if p != nil {
			p.rename(g.Canonical)
		}
	}
}

func (p *Profile) rename(canon func(string) string) {
	for k, b := range p.buckets {
		out := newBucket()
		out.addRenamed(b, canon)
		p.buckets[k] = out
	}
}

// renameEntry renames the service of an entry point's name.
func renameEntry(name string, canon func(string) string) string {
	svc, op, ok := strings.Cut(name, ": ")
	if !ok {
		return name
	}
	return canon(svc) + ": " + op
}

// renameItem renames the service a shape item calls.
func renameItem(item string, canon func(string) string) string {
	if rest, ok := strings.CutPrefix(item, "→ "); ok {
		return "→ " + renameEntry(rest, canon)
	}
	return item
}

func (h *handlerShapes) mergeRenamed(o handlerShapes, canon func(string) string) {
	hk := func(k handlerKey) handlerKey { return handlerKey{canon(k.svc), k.op} }
	sk := func(k stepKey) stepKey {
		return stepKey{handlerKey: hk(k.handlerKey), prev: renameItem(k.prev, canon), next: renameItem(k.next, canon)}
	}
	for k, v := range o.handlers {
		h.handlers[hk(k)] += v
	}
	for k, v := range o.steps {
		h.count(sk(k), v)
	}
	for k, v := range o.lengths {
		h.addLength(sk(k), v)
	}
	for k, n := range o.runs {
		h.addRuns(sk(k), n, o.runs2[k])
	}
	for k, ids := range o.examples {
		for _, id := range ids {
			h.example(sk(k), id)
		}
	}
}
