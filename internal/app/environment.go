package app

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rbgen/rbgen/topology"
)

// CheckEnvironments refuses a graph that merged several deployment
// environments: production's and staging's calls in one graph would make
// thresholds and runbooks that fit neither. It names each environment with
// its share of the spans, so the person can pick one.
func CheckEnvironments(g *topology.Graph) error {
	if g.Environment != "" {
		if _, ok := g.Environments[g.Environment]; !ok && len(g.Environments) > 0 {
			return inputErr("no spans of environment %q: the traces hold %s", g.Environment, shares(g.Environments))
		}
		return nil
	}
	if len(g.Environments) < 2 {
		return nil
	}
	return inputErr("the traces hold several environments (deployment.environment.name): %s; "+
		"choose one with --environment NAME (or environment: in rbgen.yaml)", shares(g.Environments))
}

// shares lists environments by spans, most first: "production 82% of
// spans, staging 18%".
func shares(envs map[string]int64) string {
	names := make([]string, 0, len(envs))
	var total int64
	for n, c := range envs {
		names = append(names, n)
		total += c
	}
	sort.Slice(names, func(i, j int) bool {
		if envs[names[i]] != envs[names[j]] {
			return envs[names[i]] > envs[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		pct := float64(envs[n]) * 100 / float64(total)
		parts[i] = fmt.Sprintf("%s %s%%", strconv.Quote(n), strconv.FormatFloat(pct, 'f', 1, 64))
		if i == 0 {
			parts[i] += " of spans"
		}
	}
	return strings.Join(parts, ", ")
}

// EnvironmentQuery narrows a TraceQL query to one environment, under the
// current attribute name and the older one.
func EnvironmentQuery(query, env string) string {
	if env == "" {
		return query
	}
	q := strconv.Quote(env)
	filter := "{ resource.deployment.environment.name = " + q + " || resource.deployment.environment = " + q + " }"
	if t := strings.TrimSpace(query); t == "" || t == "{}" || t == "{ }" {
		return filter
	}
	return "(" + query + ") && " + filter
}
