package generator

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/topology"
)

// Built-in symptoms: what a runbook is about.
const (
	SymptomErrors   = "high-error-rate"
	SymptomLatency  = "high-latency"
	SymptomDegraded = "degraded"
)

// Runbook is everything a runbook template renders: derived from the graph,
// the config and the runbook's stable identity.
type Runbook struct {
	Key     string // node + "/" + symptom: the identity behind the number
	ID      string // RB-007
	Num     int
	Slug    string
	File    string
	Title   string
	Node    topology.Node
	Symptom string
	// Scenario is set for an extra scenario from the config.
	Scenario *config.Scenario
	Severity string
	Status   string // active or stale
	Owner    config.Owner
	Tags     []string
	Window   topology.Window

	Impact       Impact
	Trigger      Trigger
	Diagnosis    []Step
	Remediation  []string
	Verification []string
	Escalation   []string
	Picture      string // Mermaid flowchart of the neighbourhood
}

// FrontMatter is the runbook's front matter. Names from trace data are
// cleaned (printable, bounded), as everywhere else.
func (rb *Runbook) FrontMatter() document.FrontMatter {
	owner := rb.Owner.Owner
	if owner == "" {
		owner = rb.Owner.Team
	}
	if owner == "" {
		owner = "unowned"
	}
	tags := make([]string, len(rb.Tags))
	for i, t := range rb.Tags {
		tags[i] = Clean(t)
	}
	fm := document.FrontMatter{ID: rb.ID, Slug: rb.Slug, Title: Clean(rb.ID + ": " + rb.Title),
		Weight: rb.Num, SidebarPosition: rb.Num,
		Subject: document.Subject{Service: Clean(rb.Node.Name), NodeKind: rb.Node.Kind, Symptom: rb.Symptom}, Severity: rb.Severity, Owner: Clean(owner), Tags: tags, Status: rb.Status,
		Observed: rb.Window.Start.Format("2006-01-02") + "/" + rb.Window.End.Format("2006-01-02"), Generator: "rbgen"}
	fm.SetKey(rb.Key, Clean(rb.Key))
	return fm
}

// Impact is the blast radius.
type Impact struct {
	// Share is the fraction of all traced requests that reach the node.
	Share       float64
	Traces      int64
	EntryPoints []EntryImpact
	Callers     []topology.Edge
}

// EntryImpact is one entry point whose requests reach the node.
type EntryImpact struct {
	Name string
	// Reach is the share of this entry point's requests that reach the
	// node; Traffic the entry point's share of all requests.
	Reach, Traffic float64
}

// Trigger is the alert condition.
type Trigger struct {
	Condition   string // one sentence
	Baseline    string // what the week showed
	For         time.Duration
	ErrorRatio  float64 // threshold, 0 when not part of the condition
	LatencyMS   float64
	Expr        string // PromQL
	Rule        string // Prometheus alerting rule, YAML
	TraceQL     string
	ExploreURL  string
	RunbookURL  string
	MetricsNote string
}

// Step is one diagnosis step.
type Step struct {
	Title   string
	Detail  string // Markdown, already escaped
	TraceQL string
	Explore string
	// Items are ranked findings (operations, dependencies), Markdown.
	Items []string
}

// Options steer runbook derivation.
type Options struct {
	Config *config.Config
}

// scenario is one runbook to write for one node.
type scenario struct {
	node    topology.Node
	symptom string
	extra   *config.Scenario
}

// RunbookKey is a runbook's identity.
func RunbookKey(node, symptom string) string { return node + "/" + symptom }

// scenarios lists the runbooks the graph calls for, in key order.
func scenarios(g *topology.Graph, cfg *config.Config) []scenario {
	var out []scenario
	for _, n := range g.Nodes {
		if n.Kind == topology.KindUser || n.Calls == 0 || cfg.Ignored(n.Name) {
			continue
		}
		if n.Kind == topology.KindService {
			if config.Enabled(cfg.Scenarios.HighErrorRate) {
				out = append(out, scenario{node: n, symptom: SymptomErrors})
			}
			if config.Enabled(cfg.Scenarios.HighLatency) {
				out = append(out, scenario{node: n, symptom: SymptomLatency})
			}
		} else if config.Enabled(cfg.Scenarios.Degraded) {
			out = append(out, scenario{node: n, symptom: SymptomDegraded})
		}
		for i := range cfg.Scenarios.Extra {
			x := &cfg.Scenarios.Extra[i]
			kindOK := len(x.NodeKinds) == 0 || contains(x.NodeKinds, n.Kind)
			nameOK := len(x.Nodes) == 0 || config.MatchAny(x.Nodes, n.Name)
			if kindOK && nameOK {
				out = append(out, scenario{node: n, symptom: x.Symptom, extra: x})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return RunbookKey(out[i].node.Name, out[i].symptom) < RunbookKey(out[j].node.Name, out[j].symptom)
	})
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// derive fills a runbook's content; the identity (ID, file) comes from the
// store, and links to other runbooks through refs (key → file name).
func derive(g *topology.Graph, sc scenario, cfg *config.Config, id identity, refs map[string]string) *Runbook {
	n := sc.node
	rb := &Runbook{
		Key: id.key, ID: id.id, Num: id.num, Slug: id.slug, File: id.file,
		Node: n, Symptom: sc.symptom, Scenario: sc.extra, Status: "active", Window: g.Window,
		Owner: cfg.OwnerOf(n.Name, n.Namespace),
	}
	rb.Title = title(n, sc)
	rb.Impact = impact(g, n)
	rb.Severity = severity(rb.Impact.Share, sc)
	rb.Tags = tags(n, sc.symptom)
	rb.Trigger = trigger(n, sc, cfg, rb.File)
	rb.Diagnosis = diagnosis(g, n, sc, rb.Trigger, cfg, refs)
	rb.Remediation = remediation(n, sc, cfg)
	rb.Verification = verification(n, sc, rb.Trigger)
	rb.Escalation = escalation(g, n, rb.Owner, rb.Severity, cfg)
	rb.Picture = neighbourhood(g, n)
	return rb
}

func title(n topology.Node, sc scenario) string {
	if sc.extra != nil {
		return strings.ReplaceAll(sc.extra.Title, "{node}", n.Name)
	}
	switch sc.symptom {
	case SymptomErrors:
		return n.Name + ": high error rate"
	case SymptomLatency:
		return n.Name + ": high latency"
	}
	return n.Name + ": " + n.Kind + " degraded"
}

func tags(n topology.Node, symptom string) []string {
	t := []string{n.Kind, symptom}
	if n.Namespace != "" {
		t = append(t, n.Namespace)
	}
	return t
}

func impact(g *topology.Graph, n topology.Node) Impact {
	var total int64
	byName := map[string]int64{}
	for _, ep := range g.EntryPoints {
		total += ep.Traces
		byName[ep.Name] = ep.Traces
	}
	im := Impact{Callers: g.Upstream(n.Name)}
	for _, ep := range n.EntryPoints {
		im.Traces += ep.Traces
		e := EntryImpact{Name: ep.Name}
		if all := byName[ep.Name]; all > 0 {
			e.Reach = float64(ep.Traces) / float64(all)
		}
		if total > 0 {
			e.Traffic = float64(byName[ep.Name]) / float64(total)
		}
		im.EntryPoints = append(im.EntryPoints, e)
	}
	if total > 0 {
		im.Share = float64(im.Traces) / float64(total)
	}
	sort.SliceStable(im.Callers, func(i, j int) bool { return im.Callers[i].Calls > im.Callers[j].Calls })
	return im
}

// severity follows the blast radius: the share of all requests that pass
// through the node. Slowness hurts less than failure, so latency runbooks
// sit one level lower.
func severity(share float64, sc scenario) string {
	if sc.extra != nil && sc.extra.Severity != "" {
		return sc.extra.Severity
	}
	level := 3
	switch {
	case share >= 0.5:
		level = 0
	case share >= 0.2:
		level = 1
	case share >= 0.05:
		level = 2
	}
	if sc.symptom == SymptomLatency && level < 3 {
		level++
	}
	return config.Severities[level]
}

// NiceCeil rounds up to 1, 2, 2.5 or 5 times a power of ten, so weekly
// thresholds only move when the baseline really moves.
func NiceCeil(x float64) float64 {
	if x <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v := m * p; v >= x*(1-1e-9) {
			return roundSig(v)
		}
	}
	return roundSig(10 * p)
}

func roundSig(v float64) float64 {
	s := fmt.Sprintf("%.3g", v)
	var out float64
	fmt.Sscan(s, &out)
	return out
}

// Thresholds derives the alert thresholds of a node from its week.
func Thresholds(n topology.Node, t config.Thresholds) (errRatio, p99MS float64) {
	errRatio = NiceCeil(math.Max(t.ErrorFactor*n.ErrorRatio(), t.ErrorFloor))
	p99MS = NiceCeil(math.Max(t.LatencyFactor*n.P99MS, t.LatencyFloorMS))
	return errRatio, p99MS
}

func trigger(n topology.Node, sc scenario, cfg *config.Config, file string) Trigger {
	errT, latT := Thresholds(n, cfg.Thresholds)
	tr := Trigger{For: cfg.Thresholds.For.Duration, RunbookURL: runbookURL(cfg.BaseURL, file)}
	base := fmt.Sprintf("error ratio %s and p99 %s over %s calls last week",
		Percent(n.ErrorRatio()), Millis(n.P99MS), HumanCount(n.Calls))
	forText := humanDuration(tr.For)
	switch {
	case sc.extra != nil:
		tr.Condition = "as defined by the team's " + sc.symptom + " scenario"
		tr.Expr = strings.ReplaceAll(sc.extra.Expr, "{node}", n.Name)
		tr.TraceQL = strings.ReplaceAll(sc.extra.TraceQL, "{node}", n.Name)
	case sc.symptom == SymptomErrors:
		tr.ErrorRatio = errT
		tr.Condition = fmt.Sprintf("error ratio above %s for %s (max(%g × baseline, floor %s))",
			Percent(errT), forText, cfg.Thresholds.ErrorFactor, Percent(cfg.Thresholds.ErrorFloor))
		tr.Expr = "(\n" + indent(PromErrorRatio(n), "  ") + "\n) > " + fmtFloat(errT)
		tr.TraceQL = TraceQLErrors(n)
	case sc.symptom == SymptomLatency:
		tr.LatencyMS = latT
		tr.Condition = fmt.Sprintf("p99 latency above %s for %s (max(%g × baseline p99, floor %s))",
			Millis(latT), forText, cfg.Thresholds.LatencyFactor, Millis(cfg.Thresholds.LatencyFloorMS))
		tr.Expr = PromP99(n) + " > " + fmtFloat(latT/1000)
		tr.TraceQL = TraceQLSlow(n, latT)
	default:
		tr.ErrorRatio, tr.LatencyMS = errT, latT
		tr.Condition = fmt.Sprintf("callers see an error ratio above %s or p99 above %s for %s",
			Percent(errT), Millis(latT), forText)
		tr.Expr = "(\n" + indent(PromErrorRatio(n), "  ") + "\n) > " + fmtFloat(errT) +
			"\nor\n" + PromP99(n) + " > " + fmtFloat(latT/1000)
		tr.TraceQL = "{ " + strings.Join(nodeSelector(n), " && ") + " && (status = error || duration > " + traceqlDuration(latT) + ") }"
	}
	tr.Baseline = base
	if n.Virtual {
		tr.MetricsNote = fmt.Sprintf("It uses Tempo's service-graph metrics, where this node is the server %s; "+
			"that label comes from the metrics generator's peer_attributes: add %s to them if the series is empty.",
			Code(peerLabel(n)), Code(firstMatchKey(n)))
	} else {
		tr.MetricsNote = "It uses Tempo's span metrics (the metrics generator's span_metrics processor)."
	}
	if tr.TraceQL != "" {
		tr.ExploreURL = ExploreURL(cfg.GrafanaURL, cfg.TempoDatasource, tr.TraceQL)
	}
	tr.Rule = alertRule(n, sc, tr)
	return tr
}

func firstMatchKey(n topology.Node) string {
	if len(n.Match) > 0 {
		return strings.TrimSuffix(n.Match[0].Key, " host")
	}
	return "peer.service"
}

func runbookURL(base, file string) string {
	if base == "" {
		return file
	}
	return strings.TrimRight(base, "/") + "/" + file
}

func fmtFloat(v float64) string { return fmt.Sprintf("%g", v) }

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// alertRule is a ready Prometheus alerting rule, marshalled from the rule
// model: every string from trace data is made inert for Prometheus's
// template expansion of labels and annotations.
func alertRule(n topology.Node, sc scenario, tr Trigger) string {
	if tr.Expr == "" {
		return ""
	}
	rule := alerts.Rule{
		Alert: alertName(n.Name, sc.symptom),
		Expr:  tr.Expr,
		For:   promDuration(tr.For),
		Text: alerts.Text{
			Labels: map[string]string{
				"node":    alerts.Inert(Clean(n.Name)),
				"symptom": sc.symptom,
			},
			Annotations: map[string]string{
				"summary":     alerts.Inert(Clean(n.Name) + ": " + tr.Condition),
				"runbook_url": alerts.Inert(Clean(tr.RunbookURL)),
			},
		},
	}
	out, err := alerts.Marshal(alerts.File{Groups: []alerts.Group{{Name: "rbgen", Rules: []alerts.Rule{rule}}}})
	if err != nil {
		// The model holds only strings and maps of strings.
		panic(err)
	}
	return string(out)
}

func promDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// alertName is a CamelCase Prometheus alert name from the node and symptom.
func alertName(node, symptom string) string {
	var b strings.Builder
	for _, part := range strings.Split(Slug(node)+"-"+symptom, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// yamlQuote writes a YAML double-quoted scalar: JSON string syntax is a
// subset of it, and escapes everything that could end the scalar.
func yamlQuote(s string) string {
	return jsonString(Clean(s))
}
