package generator

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/topology"
)

// Report is what changed in the system between two runs: the graph, the
// runbooks, the thresholds and severities derived from it, and what the
// alerts would have done. It is the weekly pull request's body.
type Report struct {
	// First says there was no earlier snapshot to compare with.
	First bool

	NodesAdded, NodesGone     []topology.Node
	EdgesAdded, EdgesGone     []topology.Edge
	EntriesAdded, EntriesGone []topology.EntryPoint
	Thresholds                []ThresholdMove
	Severities                []SeverityMove
	Versions                  []VersionSeen

	// Runbooks by ID and title; set by generate, not by diff.
	RunbooksAdded, RunbooksStale, RunbooksBack []string
	// Firing lists the alerts the backtest saw fire, noisy ones first.
	Firing []*Alert
}

// ThresholdMove is an alert threshold that moved because its baseline did.
type ThresholdMove struct {
	Node, What       string // What: "error ratio" or "p99"
	Old, New         string
	BaseOld, BaseNew string
}

// SeverityMove is a node whose runbooks' severity changed with its share
// of traffic.
type SeverityMove struct {
	Node               string
	Old, New           string
	ShareOld, ShareNew float64
}

// VersionSeen is a service.version first seen this period: a deploy.
type VersionSeen struct {
	Node    string
	Version topology.Version
	// Before are the versions the last run saw.
	Before []string
}

// Compare works out what changed from the old graph to the new one.
func Compare(old, cur *topology.Graph, cfg *config.Config) *Report {
	r := &Report{}
	if old == nil {
		r.First = true
		return r
	}
	oldNodes := byName(old.Nodes)
	newNodes := byName(cur.Nodes)
	for _, n := range cur.Nodes {
		if _, ok := oldNodes[n.Name]; !ok && n.Kind != topology.KindUser {
			r.NodesAdded = append(r.NodesAdded, n)
		}
	}
	for _, n := range old.Nodes {
		if _, ok := newNodes[n.Name]; !ok && n.Kind != topology.KindUser {
			r.NodesGone = append(r.NodesGone, n)
		}
	}
	r.EdgesAdded, r.EdgesGone = edgeDiff(old.Edges, cur.Edges), edgeDiff(cur.Edges, old.Edges)
	r.EntriesAdded, r.EntriesGone = entryDiff(old.EntryPoints, cur.EntryPoints), entryDiff(cur.EntryPoints, old.EntryPoints)
	for _, n := range cur.Nodes {
		o, ok := oldNodes[n.Name]
		if !ok || n.Kind == topology.KindUser || n.Calls == 0 || o.Calls == 0 {
			continue
		}
		t := cfg.ThresholdsFor(n.Name)
		oe, _ := errorThreshold(o.ErrorRatio(), t)
		ne, _ := errorThreshold(n.ErrorRatio(), t)
		if oe != ne {
			r.Thresholds = append(r.Thresholds, ThresholdMove{Node: n.Name, What: "error ratio", Old: Percent(oe), New: Percent(ne),
				BaseOld: Percent(o.ErrorRatio()), BaseNew: Percent(n.ErrorRatio())})
		}
		ol := NiceCeil(math.Max(t.LatencyFactor*o.P99MS, t.LatencyFloorMS))
		nl := NiceCeil(math.Max(t.LatencyFactor*n.P99MS, t.LatencyFloorMS))
		if ol != nl {
			r.Thresholds = append(r.Thresholds, ThresholdMove{Node: n.Name, What: "p99", Old: Millis(ol), New: Millis(nl),
				BaseOld: Millis(o.P99MS), BaseNew: Millis(n.P99MS)})
		}
		r.Versions = append(r.Versions, newVersions(o, n)...)
		symptom := SymptomErrors
		if n.Virtual || n.Kind != topology.KindService {
			symptom = SymptomDegraded
		}
		os, ns := impact(old, o).Share, impact(cur, n).Share
		sv := cfg.ServiceFor(n.Name)
		if a, b := severity(os, scenario{symptom: symptom}, sv), severity(ns, scenario{symptom: symptom}, sv); a != b {
			r.Severities = append(r.Severities, SeverityMove{Node: n.Name, Old: a, New: b, ShareOld: os, ShareNew: ns})
		}
	}
	return r
}

// newVersions are the versions of n that o, the same node last run, did
// not run. A snapshot without versions (from before rbgen read them) says
// nothing.
func newVersions(o, n topology.Node) []VersionSeen {
	if len(o.Versions) == 0 {
		return nil
	}
	var before []string
	known := map[string]bool{}
	for _, v := range o.Versions {
		before = append(before, v.Version)
		known[v.Version] = true
	}
	var out []VersionSeen
	for _, v := range n.Versions {
		if !known[v.Version] {
			out = append(out, VersionSeen{Node: n.Name, Version: v, Before: before})
		}
	}
	return out
}

func byName(nodes []topology.Node) map[string]topology.Node {
	out := make(map[string]topology.Node, len(nodes))
	for _, n := range nodes {
		out[n.Name] = n
	}
	return out
}

// edgeDiff is the edges of b that a lacks.
func edgeDiff(a, b []topology.Edge) []topology.Edge {
	have := map[[2]string]bool{}
	for _, e := range a {
		have[[2]string{e.From, e.To}] = true
	}
	var out []topology.Edge
	for _, e := range b {
		if !have[[2]string{e.From, e.To}] {
			out = append(out, e)
		}
	}
	return out
}

// entryDiff is the entry points of b that a lacks.
func entryDiff(a, b []topology.EntryPoint) []topology.EntryPoint {
	have := map[string]bool{}
	for _, e := range a {
		have[e.Name] = true
	}
	var out []topology.EntryPoint
	for _, e := range b {
		if !have[e.Name] {
			out = append(out, e)
		}
	}
	return out
}

// AddPlan adds what a generation changes in the runbooks and what its
// alerts' backtests saw.
func (r *Report) AddPlan(p *Plan) {
	for _, c := range p.Changes {
		name := c.Path[strings.LastIndex(c.Path, "/")+1:]
		if !strings.HasPrefix(name, "RB-") {
			continue
		}
		switch c.Reason {
		case "new":
			r.RunbooksAdded = append(r.RunbooksAdded, strings.TrimSuffix(name, ".md"))
		case "stale":
			r.RunbooksStale = append(r.RunbooksStale, strings.TrimSuffix(name, ".md"))
		case "back":
			r.RunbooksBack = append(r.RunbooksBack, strings.TrimSuffix(name, ".md"))
		}
	}
	for _, a := range p.Alerts {
		if a.Backtest != nil && len(a.Backtest.Firings) > 0 {
			r.Firing = append(r.Firing, a)
		}
	}
	sort.SliceStable(r.Firing, func(i, j int) bool {
		a, b := r.Firing[i].Backtest, r.Firing[j].Backtest
		if a.Noisy != b.Noisy {
			return a.Noisy
		}
		if len(a.Firings) != len(b.Firings) {
			return len(a.Firings) > len(b.Firings)
		}
		return r.Firing[i].Name < r.Firing[j].Name
	})
}

// Empty says nothing changed (the alerts that fired are news of the
// period, not a change).
func (r *Report) Empty() bool {
	return !r.First && len(r.NodesAdded)+len(r.NodesGone)+len(r.EdgesAdded)+len(r.EdgesGone)+len(r.EntriesAdded)+
		len(r.EntriesGone)+len(r.Thresholds)+len(r.Severities)+len(r.Versions)+len(r.RunbooksAdded)+len(r.RunbooksStale)+
		len(r.RunbooksBack) == 0
}

// section is a heading and its bullet lines; empty sections are left out.
type section struct {
	title string
	lines []string
}

func (r *Report) sections() []section {
	var s []section
	add := func(title string, lines []string) {
		if len(lines) > 0 {
			s = append(s, section{title, lines})
		}
	}
	nodes := func(ns []topology.Node) []string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("%s (%s, %s calls)", Code(n.Name), n.Kind, HumanCount(n.Calls)))
		}
		return out
	}
	edges := func(es []topology.Edge) []string {
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s → %s (%s, %s calls)", Code(e.From), Code(e.To), e.Kind, HumanCount(e.Calls)))
		}
		return out
	}
	entries := func(es []topology.EntryPoint) []string {
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s (%s traces)", Code(e.Name), HumanCount(e.Traces)))
		}
		return out
	}
	add("New nodes", nodes(r.NodesAdded))
	add("Nodes gone", nodes(r.NodesGone))
	add("New dependencies", edges(r.EdgesAdded))
	add("Dependencies gone", edges(r.EdgesGone))
	add("New entry points", entries(r.EntriesAdded))
	add("Entry points gone", entries(r.EntriesGone))
	var th []string
	for _, m := range r.Thresholds {
		th = append(th, fmt.Sprintf("%s %s threshold %s → %s (baseline %s → %s)", Code(m.Node), m.What, m.Old, m.New, m.BaseOld, m.BaseNew))
	}
	add("Thresholds that moved", th)
	var sev []string
	for _, m := range r.Severities {
		sev = append(sev, fmt.Sprintf("%s %s → %s (share of traced requests %s → %s)", Code(m.Node), m.Old, m.New, Percent(m.ShareOld), Percent(m.ShareNew)))
	}
	add("Severities that changed", sev)
	var vs []string
	for _, v := range r.Versions {
		var before []string
		for _, b := range v.Before {
			before = append(before, Code(b))
		}
		line := fmt.Sprintf("%s %s, first seen %s (%s requests, %s failed; the last run saw %s)", Code(v.Node), Code(v.Version.Version),
			minuteUTC(v.Version.FirstSeen), HumanCount(v.Version.Requests), Percent(v.Version.FailedRatio()), strings.Join(before, ", "))
		vs = append(vs, line)
	}
	add("Versions first seen", vs)
	code := func(names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, Code(n))
		}
		return out
	}
	add("Runbooks added", code(r.RunbooksAdded))
	add("Runbooks marked stale (their node is gone)", code(r.RunbooksStale))
	add("Runbooks back (their node returned)", code(r.RunbooksBack))
	var fired []string
	for _, a := range r.Firing {
		line := fmt.Sprintf("%s (%s): %s, %s in all", Code(a.Name), a.Rule.Labels["rbgen_id"], times(len(a.Backtest.Firings)), humanSpan(alerts.Total(a.Backtest.Firings)))
		if a.Backtest.Noisy {
			line = "**noisy** " + line
		}
		fired = append(fired, line)
	}
	add("Alerts that would have fired in the traces read", fired)
	return s
}

// Markdown is the report as a pull request body.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("## What changed in the system\n\n")
	switch {
	case r.First:
		b.WriteString("This is the first run: there is no earlier snapshot to compare with.\n")
		return b.String()
	case r.Empty():
		b.WriteString("Nothing changed since the last run.\n\n")
	}
	for _, s := range r.sections() {
		fmt.Fprintf(&b, "### %s\n\n", s.title)
		for _, l := range s.lines {
			b.WriteString("- " + l + "\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// Lines is the report one line a section, for the end of generate's output.
func (r *Report) Lines() []string {
	switch {
	case r.First:
		return []string{"first run: no earlier snapshot to compare with"}
	}
	var out []string
	if r.Empty() {
		out = append(out, "nothing changed since the last run")
	}
	for _, s := range r.sections() {
		out = append(out, fmt.Sprintf("%s: %s", strings.ToLower(s.title[:1])+s.title[1:], strings.Join(s.lines, "; ")))
	}
	return out
}
