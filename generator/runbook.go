package generator

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"text/template"
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
	// Numbers says where the calls, errors and latencies came from.
	Numbers Numbers

	Impact       Impact
	Trigger      Trigger
	Diagnosis    []Step
	Remediation  []string
	Verification []string
	Escalation   []string
	Picture      string // Mermaid flowchart of the neighbourhood
	// Merged says, in Markdown, which names the spans gave this node that
	// rbgen folded into it, and why; "" when none.
	Merged string
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
		Observed: rb.Window.Start.Format("2006-01-02") + "/" + rb.Window.End.Format("2006-01-02"), Generator: "rbgen",
		StatsSource: rb.Numbers.Source, Traces: rb.Numbers.Traces, Sampled: rb.Numbers.Sampled}
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
	Rule        string // this runbook's rule, YAML, as in the rules file
	TraceQL     string
	ExploreURL  string
	RunbookURL  string
	MetricsNote string
	// RulesFile and Group say where the rule is.
	RulesFile, Group string
	// Notes on how the condition was sized, Markdown.
	WindowNote, ThresholdNote, BucketNote string
	// TooLittle, Markdown, says why a node seen too seldom has no alert.
	TooLittle string
	// Failing is set when the node fails heavily all the time.
	Failing string
	// Backtest says how often the alert would have fired; Noisy marks one
	// that fires too often.
	Backtest string
	Noisy    bool
	// Alert is the runbook's first alert; Alerts all of them (an
	// objective's page and ticket alerts).
	Alert  *Alert
	Alerts []*Alert
	// Objective explains the node's SLO and BurnRows its burn-rate table,
	// when rbgen.yaml gives it one.
	Objective string
	BurnRows  []string
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
func derive(g *topology.Graph, sc scenario, rc ruleContext, id identity, refs map[string]string) *Runbook {
	cfg := rc.cfg
	n := sc.node
	rb := &Runbook{
		Key: id.key, ID: id.id, Num: id.num, Slug: id.slug, File: id.file,
		Node: n, Symptom: sc.symptom, Scenario: sc.extra, Status: "active", Window: g.Window, Numbers: NumbersOf(g).For(n.Stats),
		Owner: cfg.OwnerOf(n.Name, n.Namespace),
	}
	rb.Title = title(n, sc)
	rb.Impact = impact(g, n)
	rb.Severity = severity(rb.Impact.Share, sc, cfg.ServiceFor(n.Name))
	rb.Tags = tags(n, sc.symptom)
	rb.Trigger = trigger(rb, sc, rc)
	sys := systemAdvice(rc.tmpl, n)
	rb.Diagnosis = diagnosis(g, n, sc, rb.Trigger, cfg, refs, sys)
	rb.Remediation = remediation(n, sc, cfg, sys)
	rb.Verification = verification(n, sc, rb.Trigger)
	rb.Escalation = escalation(g, n, rb.Owner, rb.Severity, cfg)
	rb.Picture = neighbourhood(g, n)
	rb.Merged = mergedText(g, n.Name)
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
func severity(share float64, sc scenario, sv config.Service) string {
	if sc.extra != nil && sc.extra.Severity != "" {
		return sc.extra.Severity
	}
	if sv.Severity != "" {
		return sv.Severity
	}
	level := 3
	switch {
	case sv.Tier > 0:
		level = sv.Tier - 1
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

// Thresholds derives the alert thresholds of a node from its week: the
// error ratio, and the p99 in milliseconds before it is moved to a bucket
// bound.
func Thresholds(n topology.Node, t config.Thresholds) (errRatio, p99MS float64) {
	errRatio, _ = errorThreshold(n.ErrorRatio(), t)
	p99MS = NiceCeil(math.Max(t.LatencyFactor*n.P99MS, t.LatencyFloorMS))
	return errRatio, p99MS
}

// ruleContext is what every runbook's alert is written against.
type ruleContext struct {
	cfg       *config.Config
	dialect   alerts.Dialect
	rec       *alerts.Recorder
	rulesName string
	window    topology.Window
	// numbers says where the nodes' numbers came from and the period
	// they cover, which sizes the rate windows.
	numbers Numbers
	// replay, when set, backtests in Prometheus.
	replay Replayer
	tmpl   *template.Template // for the per-system advice
}

func trigger(rb *Runbook, sc scenario, rc ruleContext) Trigger {
	n, cfg := rb.Node, rc.cfg
	t := cfg.ThresholdsFor(n.Name)
	errT, failing := errorThreshold(n.ErrorRatio(), t)
	latT := NiceCeil(math.Max(t.LatencyFactor*n.P99MS, t.LatencyFloorMS))
	tr := Trigger{For: t.For.Duration, RunbookURL: runbookURL(cfg, rb), RulesFile: rc.rulesName, Group: groupName(n.Name)}
	rc.numbers = rc.numbers.For(n.Stats)
	tr.Baseline = fmt.Sprintf("error ratio %s and p99 %s over %s calls %s (%s)",
		Percent(n.ErrorRatio()), Millis(n.P99MS), HumanCount(n.Calls), rc.numbers.In(), periodText(rc.numbers.Window))
	target := TargetOf(n, rc.dialect)
	period := rc.numbers.Window.End.Sub(rc.numbers.Window.Start)
	a := &Alert{Node: n, Name: alertName(n.Name, sc.symptom), Group: tr.Group, Target: target,
		Window: rateWindow(n.Calls, period, cfg.Alerts)}
	a.MinCalls = minCalls(n.Calls, period, a.Window, cfg.Alerts)
	latSec, moved := alerts.RoundUpToBucket(latT/1000, target.Buckets)
	errBad := minBad(n.ErrorRatio(), errT, failing, n.Calls, period, a.Window, cfg.Alerts)
	slowBad := minBad(slowRatio(rc.rec, n, latSec, target.Buckets), 0, false, n.Calls, period, a.Window, cfg.Alerts)
	errClause := alerts.Clause{Measure: alerts.ErrorRatio, Window: a.Window, Above: errT, MinCalls: a.MinCalls, MinBad: errBad}
	latClause := alerts.Clause{Measure: alerts.Quantile, Window: a.Window, Above: latSec, Q: 0.99, MinCalls: a.MinCalls, MinBad: slowBad}
	a.MinBad = max(errBad, slowBad)
	if sc.symptom == SymptomErrors {
		a.MinBad = errBad
	} else if sc.symptom == SymptomLatency {
		a.MinBad = slowBad
	}
	forText := humanDuration(tr.For)
	win := alerts.Duration(a.Window)
	var summary, description string
	switch {
	case sc.extra != nil:
		tr.Condition = "as defined by the team's " + sc.symptom + " scenario"
		tr.Expr = strings.ReplaceAll(sc.extra.Expr, "{node}", n.Name)
		tr.TraceQL = strings.ReplaceAll(sc.extra.TraceQL, "{node}", n.Name)
		summary = tr.Condition
		description = alerts.Inert(Clean(n.Name)+": the "+sc.symptom+" condition holds") + " (value {{ $value }})."
		a.Cond = alerts.Condition{For: tr.For}
	case sc.symptom == SymptomErrors:
		tr.ErrorRatio = errT
		tr.Condition = fmt.Sprintf("the error ratio over %s is above %s for %s, with at least %d calls and %d failures in the window", win, Percent(errT), forText, a.MinCalls, a.MinBad)
		a.Cond = alerts.Single(errClause, tr.For)
		summary = fmt.Sprintf("error ratio above %s", Percent(errT))
		description = alerts.Inert(Clean(n.Name)+" fails ") + valueText(alerts.ErrorRatio, target) +
			alerts.Inert(fmt.Sprintf(" of its calls over %s (threshold %s; baseline %s).", win, Percent(errT), Percent(n.ErrorRatio())))
		tr.TraceQL = TraceQLErrors(n)
	case sc.symptom == SymptomLatency:
		tr.LatencyMS = latSec * 1000
		tr.Condition = fmt.Sprintf("p99 latency over %s is above %s for %s, with at least %d calls and %d slower than that in the window", win, Millis(tr.LatencyMS), forText, a.MinCalls, a.MinBad)
		a.Cond = alerts.Single(latClause, tr.For)
		summary = fmt.Sprintf("p99 latency above %s", Millis(tr.LatencyMS))
		description = alerts.Inert(Clean(n.Name)+"'s p99 latency is ") + valueText(alerts.Quantile, target) +
			alerts.Inert(fmt.Sprintf(" over %s (threshold %s; baseline %s).", win, Millis(tr.LatencyMS), Millis(n.P99MS)))
		tr.TraceQL = TraceQLSlow(n, tr.LatencyMS)
	default:
		tr.ErrorRatio, tr.LatencyMS = errT, latSec*1000
		tr.Condition = fmt.Sprintf("callers see an error ratio above %s (with at least %d failures) or a p99 above %s (with at least %d calls slower than that) over %s, for %s, with at least %d calls in the window",
			Percent(errT), errBad, Millis(tr.LatencyMS), slowBad, win, forText, a.MinCalls)
		a.Cond = alerts.Condition{Terms: [][]alerts.Clause{{errClause}, {latClause}}, For: tr.For}
		summary = fmt.Sprintf("error ratio above %s or p99 above %s", Percent(errT), Millis(tr.LatencyMS))
		description = alerts.Inert(Clean(n.Name)+" is degraded as its callers see it: ") + "{{ $value }}" +
			alerts.Inert(fmt.Sprintf(" (an error ratio, or a p99 in the histogram's unit) over %s.", win))
		tr.TraceQL = "{ " + strings.Join(nodeSelector(n), " && ") + " && (status = error || duration > " + traceqlDuration(tr.LatencyMS) + ") }"
	}
	o, hasObjective := objectiveFor(cfg, n, sc.symptom, target.Buckets)
	if hasObjective && sc.extra == nil {
		return sloTrigger(rb, rc, tr, o, target)
	}
	if sc.extra == nil && n.Calls < int64(cfg.Alerts.MinObservedCalls) {
		return tooLittle(tr, n, rc)
	}
	if len(a.Cond.Terms) > 0 {
		tr.Expr = a.Cond.PromQL(target)
		tr.WindowNote = windowNote(n, a, period)
		if tr.ErrorRatio > 0 {
			tr.ThresholdNote = fmt.Sprintf("The error threshold is max(%g × baseline, floor %s), rounded up to 1, 2, 2.5 or 5 × 10ⁿ.",
				t.ErrorFactor, Percent(t.ErrorFloor))
			if failing {
				tr.Failing = fmt.Sprintf("Already failing: %s of calls all through the period observed. %g × that would reach %s, so the alert is set at an absolute %s, halfway from the baseline to 100%%, where it can still fire and clear. Fix the standing failures first.",
					Percent(n.ErrorRatio()), t.ErrorFactor, Percent(math.Min(1, t.ErrorFactor*n.ErrorRatio())), Percent(errT))
				tr.ThresholdNote = ""
			}
		}
		if tr.LatencyMS > 0 {
			note := fmt.Sprintf("The latency threshold is max(%g × baseline p99, floor %s), rounded up to 1, 2, 2.5 or 5 × 10ⁿ: %s", t.LatencyFactor, Millis(t.LatencyFloorMS), Millis(latT))
			if moved {
				note += fmt.Sprintf(", moved up to %s, the histogram's next bucket bound: histogram_quantile interpolates inside a bucket, so only a bound is measured exactly", Millis(tr.LatencyMS))
			}
			tr.BucketNote = note + "."
		}
	}
	tr.MetricsNote = metricsNote(n, rc.dialect)
	if tr.TraceQL != "" {
		tr.ExploreURL = ExploreURL(cfg.GrafanaURL, cfg.TempoDatasource, tr.TraceQL)
	}
	if tr.Expr != "" {
		a.Rule = alertRule(rb, a, tr.RunbookURL, tr.Expr, summary, description)
		if rc.replay != nil && len(a.Cond.Terms) > 0 {
			bt, err := replayBacktest(a, rc.replay, rc.numbers.Window, cfg.Alerts.NoisyPerWeek)
			if err != nil {
				tr.Backtest = "Not backtested: Prometheus could not evaluate the rule over the period: " + MD(err.Error()) + "."
			} else {
				a.Backtest = bt
				tr.Backtest = bt.Sentence()
				tr.Noisy = bt.Noisy
			}
		} else if rc.rec != nil && len(a.Cond.Terms) > 0 && rc.numbers.Exact() {
			// The guards are sized on every call; the series rbgen could
			// replay hold only the traces pulled.
			tr.Backtest = fmt.Sprintf("Not backtested: the thresholds and traffic guards are sized on exact counts (%s), and the per-minute series rbgen could replay hold only the %s traces pulled, which would rarely reach them.",
				rc.numbers.Short(), HumanCount(rc.numbers.Traces))
		} else if rc.rec != nil && len(a.Cond.Terms) > 0 {
			a.Backtest = backtest(a, SeriesOf(rc.rec, n), rc.window, cfg.Alerts.NoisyPerWeek)
			tr.Backtest = a.Backtest.Sentence()
			tr.Noisy = a.Backtest.Noisy
		} else if sc.extra != nil {
			tr.Backtest = "The team's own expression is not backtested: rbgen cannot tell what its metric did."
		}
		out, err := alerts.MarshalRules([]alerts.Rule{a.Rule})
		if err != nil {
			// The model holds only strings and maps of strings.
			panic(err)
		}
		tr.Rule = string(out)
		tr.Alert = a
		tr.Alerts = []*Alert{a}
	}
	return tr
}

// tooLittle is the trigger of a node seen too seldom for a baseline to say
// what is normal: no alert, and the reason, rather than a threshold that
// chance alone would cross or never reach.
func tooLittle(tr Trigger, n topology.Node, rc ruleContext) Trigger {
	tr.TooLittle = fmt.Sprintf("**No alert: too little traffic to set a threshold** (%s calls observed; rbgen sets one from %d, %s in rbgen.yaml). "+
		"So few calls cannot tell a bad hour from chance. Read a longer period, or give %s an objective under %s: its burn-rate alerts do not rest on a baseline.",
		HumanCount(n.Calls), rc.cfg.Alerts.MinObservedCalls, Code("alerts.min_observed_calls"), Code(n.Name), Code("objectives"))
	tr.Condition, tr.ErrorRatio, tr.LatencyMS = "", 0, 0
	tr.MetricsNote = metricsNote(n, rc.dialect)
	if tr.TraceQL != "" {
		tr.ExploreURL = ExploreURL(rc.cfg.GrafanaURL, rc.cfg.TempoDatasource, tr.TraceQL)
	}
	return tr
}

// sloTrigger is the trigger of a node with an objective: burn-rate alerts
// in place of the baseline threshold.
func sloTrigger(rb *Runbook, rc ruleContext, tr Trigger, o objective, target alerts.Target) Trigger {
	n := rb.Node
	tr.Alerts = sloAlerts(rb, rc, &tr, o, target)
	tr.Alert = tr.Alerts[0]
	tr.Objective = objectiveText(n, o, rc.numbers)
	tr.Condition = fmt.Sprintf("the %s objective's error budget burns fast: see the burn-rate table", o.what)
	if o.what == "latency" {
		tr.LatencyMS = o.bound * 1000
	} else {
		tr.ErrorRatio = o.budget
	}
	var rules []alerts.Rule
	var backtests []string
	for _, a := range tr.Alerts {
		rules = append(rules, a.Rule)
		if rc.rec != nil {
			a.Backtest = backtest(a, SeriesOf(rc.rec, n), rc.window, rc.cfg.Alerts.NoisyPerWeek)
			backtests = append(backtests, fmt.Sprintf("%s: %s", Code(a.Name), strings.TrimPrefix(a.Backtest.Sentence(), "Backtest: ")))
			tr.Noisy = tr.Noisy || a.Backtest.Noisy
		}
	}
	if len(backtests) > 0 {
		tr.Backtest = "Backtest of each: " + strings.Join(backtests, " ")
	}
	out, err := alerts.MarshalRules(rules)
	if err != nil {
		panic(err)
	}
	tr.Rule = string(out)
	tr.Expr = tr.Alert.Rule.Expr
	tr.MetricsNote = metricsNote(n, rc.dialect) + fmt.Sprintf(" The burn rates read the recording rules %s…, written into the same group.", Code(tr.Alert.Records[0].Record))
	if o.what == "latency" {
		tr.TraceQL = TraceQLSlow(n, tr.LatencyMS)
	} else {
		tr.TraceQL = TraceQLErrors(n)
	}
	tr.ExploreURL = ExploreURL(rc.cfg.GrafanaURL, rc.cfg.TempoDatasource, tr.TraceQL)
	return tr
}

func periodText(w topology.Window) string {
	if w.Start.IsZero() {
		return "no period"
	}
	return spanOf(w) + ", " + humanSpan(w.End.Sub(w.Start))
}

// windowNote says why the rate window is as long as it is.
func windowNote(n topology.Node, a *Alert, period time.Duration) string {
	held := inWindow(n.Calls, period, a.Window)
	note := fmt.Sprintf("The rate window is %s: at the rate observed it holds about %s calls",
		alerts.Duration(a.Window), HumanCount(int64(math.Round(held))))
	return note + fmt.Sprintf("; the alert needs at least %d calls in it, and enough bad ones that chance at the baseline reaches them in fewer than one window in 10,000, so one failure in a quiet hour cannot page.", a.MinCalls)
}

func metricsNote(n topology.Node, d alerts.Dialect) string {
	var src string
	switch d.Name {
	case alerts.DialectOTel:
		src = "the OpenTelemetry Collector's (or Alloy's) spanmetrics connector"
	default:
		src = "Tempo's metrics-generator"
	}
	if n.Virtual {
		label, pattern := peerLabel(n)
		server := "the server " + Code(label)
		if pattern {
			server = "every server matching " + Code(label)
		}
		return fmt.Sprintf("It reads service-graph metrics (%s's servicegraph), where this node is %s; "+
			"that label comes from the peer attributes: add %s to them if the series is empty.",
			src, server, Code(strings.TrimSuffix(firstMatchKey(n), topology.RegexSuffix)))
	}
	return fmt.Sprintf("It reads span metrics from %s (%s).", src, Code(d.Calls))
}

func firstMatchKey(n topology.Node) string {
	if len(n.Match) > 0 {
		return strings.TrimSuffix(n.Match[0].Key, " host")
	}
	return "peer.service"
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

// mergedText names the nodes folded into this one, at most six.
func mergedText(g *topology.Graph, name string) string {
	var parts []string
	count := 0
	for _, m := range g.Merged {
		if g.Canonical(m.From) != name {
			continue
		}
		if count++; count <= 6 {
			parts = append(parts, Code(m.From)+" ("+m.Reason+")")
		}
	}
	if count == 0 {
		return ""
	}
	if count > 6 {
		parts = append(parts, fmt.Sprintf("%d more", count-6))
	}
	return "The traces also name this node " + strings.Join(parts, ", ") + "; rbgen counts them as one (set `aliases:` in rbgen.yaml to choose otherwise)."
}
