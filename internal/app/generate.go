package app

import (
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
)

// GenerateInput is what the runbooks are made from.
type GenerateInput struct {
	Graph   *topology.Graph
	Options generator.GenerateOptions
	// TOCFiles are documents besides the runbook folder's README whose
	// table of contents is refreshed too.
	TOCFiles []string
}

// Generate plans the runbooks, the registry, the graph snapshot and every
// table of contents, the tables reading the runbooks as the plan leaves
// them.
func Generate(in GenerateInput) (*generator.Plan, error) {
	plan, err := generator.PlanRunbooks(in.Graph, in.Options)
	if err != nil {
		return nil, err
	}
	toc, err := generator.PlanTOC(in.Options.Templates, in.Options.Dir, in.TOCFiles, overlay(plan))
	if err != nil {
		return nil, err
	}
	plan.Changes = append(plan.Changes, toc...)
	return plan, nil
}

// overlay is the plan's files by path, for readers that must see them as
// they will be.
func overlay(p *generator.Plan) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range p.Changes {
		out[c.Path] = c.Content
	}
	return out
}
