package generator

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/topology"
)

// AlertsFile is the rules file's name in the runbook folder, by default.
const AlertsFile = "rbgen-alerts.yaml"

// Alert is a runbook's alerting rule as data: the series it reads, the
// condition, the rule written from both, and what the backtest found.
type Alert struct {
	Node   topology.Node
	Name   string
	Group  string
	Target alerts.Target
	Cond   alerts.Condition
	Rule   alerts.Rule
	// Records are recording rules the alert reads (an objective's SLIs).
	Records []alerts.Rule
	// Window is the rate window; MinCalls the traffic guard.
	Window           time.Duration
	MinCalls, MinBad int
	// Backtest is nil when there were no series to run it on.
	Backtest *Backtest
}

// Backtest is what the alert would have done over the traces read.
type Backtest struct {
	Firings  []alerts.Firing
	From, To time.Time
	Step     time.Duration
	Noisy    bool
	// Needs is the shortest period in which the alert can fire: its
	// longest window plus its for.
	Needs time.Duration
	// Warmup is the start of the period left out: the longest window.
	Warmup time.Duration
	// AlwaysOn is set when it would have fired most of the time.
	AlwaysOn bool
	// PerWeek is the firings a week allowed before the alert is noisy;
	// Limit that over the period read.
	PerWeek, Limit int
	// Replayed says Prometheus evaluated the rule's own expression over
	// its series, rather than rbgen over the series the traces imply.
	Replayed bool
}

// Replayer evaluates a rule's expression over a period as Prometheus
// would have, at every step from `from` to `to`: whether it returned a
// sample at each. The Prometheus source gives one (query_range).
type Replayer func(expr string, from, to time.Time, step time.Duration) ([]bool, error)

// maxReplaySteps keeps a replay under Prometheus's 11,000 points a series.
const maxReplaySteps = 10000

// replayBacktest is backtest with the firings from Prometheus itself.
func replayBacktest(a *Alert, replay Replayer, w topology.Window, perWeek int) (*Backtest, error) {
	step := time.Minute
	if n := w.End.Sub(w.Start) / maxReplaySteps; n > step {
		step = n.Truncate(time.Minute) + time.Minute
	}
	bt := newBacktest(a, w, step, perWeek)
	from := w.Start.Add(bt.Warmup).Truncate(step)
	if w.End.Sub(w.Start) >= bt.Needs {
		held, err := replay(a.Rule.Expr, from, w.End, step)
		if err != nil {
			return nil, err
		}
		bt.Firings = alerts.Hold(held, from, step, a.Cond.For)
	}
	bt.Replayed = true
	bt.judge(w)
	return bt, nil
}

// rateWindows are the windows an alert may read, shortest first: a busy
// node gets 5m, a quiet one as long as it needs to hold enough calls at
// its baseline rate.
var rateWindows = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// rateWindow sizes the window to the node's traffic over the period.
func rateWindow(calls int64, period time.Duration, a config.Alerts) time.Duration {
	windows := rateWindows
	if len(a.RateWindows) > 0 {
		windows = nil
		for _, w := range a.RateWindows {
			windows = append(windows, w.Duration)
		}
	}
	for _, w := range windows {
		if inWindow(calls, period, w) >= float64(a.WindowCalls) {
			return w
		}
	}
	return windows[len(windows)-1]
}

// inWindow is the calls a window holds at the traced rate: all of them
// when the traces cover less than the window.
func inWindow(calls int64, period, window time.Duration) float64 {
	if period <= window {
		return float64(calls)
	}
	return float64(calls) * window.Minutes() / period.Minutes()
}

// minCalls is the traffic guard: the config's, or half the calls the
// window holds at the traced rate, between 2 and config.DefaultMinCalls,
// so a quiet node can still alert on its few calls.
func minCalls(calls int64, period, window time.Duration, a config.Alerts) int {
	if a.MinCalls > 0 {
		return a.MinCalls
	}
	n := int(math.Round(inWindow(calls, period, window) / 2))
	return min(max(n, 2), config.DefaultMinCalls)
}

// falseAlarm is the chance per window, at the baseline's failure rate,
// that the bad-call guard lets through: with a 1h window about 170
// independent windows a week, so about one false page in 60 weeks from
// chance alone.
const falseAlarm = 1e-4

// peakFactor turns a node's average traced rate into its daily peak's,
// roughly: the hours in which chance failures cluster.
const peakFactor = 2

// minBad is the bad-call guard: the config's, or the fewest bad calls that
// chance at the baseline's bad ratio reaches in a window at peak traffic
// with odds below falseAlarm, at least 2, so one failure never pages. For
// a node already failing heavily (failing set), whose baseline chance
// reaches any count, it is the bad calls the absolute threshold itself
// means in a window at the average rate.
func minBad(ratio, threshold float64, failing bool, calls int64, period, window time.Duration, a config.Alerts) int {
	if a.MinBadCalls > 0 {
		return a.MinBadCalls
	}
	expected := inWindow(calls, period, window)
	limit := 100
	if failing {
		limit = max(2, int(math.Ceil(threshold*expected)))
	}
	lambda := ratio * expected * peakFactor
	k := 2
	for k < limit && poissonTail(lambda, k) >= falseAlarm {
		k++
	}
	return k
}

// poissonTail is P(X >= k) for X ~ Poisson(lambda).
func poissonTail(lambda float64, k int) float64 {
	if lambda <= 0 {
		return 0
	}
	term, below := math.Exp(-lambda), 0.0
	for i := 0; i < k; i++ {
		below += term
		term *= lambda / float64(i+1)
	}
	return math.Max(0, 1-below)
}

// errorThreshold is the error ratio to alert above. A relative threshold
// (factor × baseline, at least the floor) serves a healthy node; one whose
// baseline would put it at or past the ceiling is already failing, and is
// alerted halfway from its baseline to 100%, so the alert can both fire and
// clear.
func errorThreshold(base float64, t config.Thresholds) (thr float64, failing bool) {
	rel := NiceCeil(math.Max(t.ErrorFactor*base, t.ErrorFloor))
	if rel < t.ErrorCeiling {
		return rel, false
	}
	abs := math.Ceil((base+(1-base)/2)*20-1e-9) / 20
	abs = math.Max(abs, t.ErrorCeiling)
	return math.Min(abs, 0.99), true
}

// servingKinds are the span kinds a service's requests arrive on, as the
// span metrics label them.
func servingKinds(kinds []string) []string {
	var out []string
	for _, k := range kinds {
		if k == "SPAN_KIND_SERVER" || k == "SPAN_KIND_CONSUMER" {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		out = []string{"SPAN_KIND_UNSPECIFIED"}
	}
	return out
}

// TargetOf is the series a node's alerts read in a metrics dialect: its
// own span metrics for a service, the service graph's for a virtual node.
// The Prometheus source reads the same, so thresholds and alerts agree.
func TargetOf(n topology.Node, d alerts.Dialect) alerts.Target {
	if n.Virtual {
		label, pattern := peerLabel(n)
		if pattern {
			return d.PeerMatching(label)
		}
		return d.Peer(Clean(label))
	}
	return d.Service(Clean(n.Name), servingKinds(n.SpanKinds))
}

// SeriesOf is what the backtest reads for a node: the same spans the
// target's series count.
func SeriesOf(rec *alerts.Recorder, n topology.Node) alerts.Series {
	if n.Virtual {
		return rec.Peer(n.Name)
	}
	return rec.Service(n.Name, servingKinds(n.SpanKinds))
}

// runbookURL is where an alert sends a person: the config's template, or
// the page publish writes under base_url; a relative link without either.
func runbookURL(cfg *config.Config, rb *Runbook) string {
	if cfg.Alerts.RunbookURL != "" {
		u, err := config.RunbookURL(cfg.Alerts.RunbookURL, config.RunbookRef{ID: rb.ID, File: rb.File, Slug: rb.Slug, Node: Clean(rb.Node.Name)})
		if err == nil {
			return u
		}
	}
	if cfg.BaseURL != "" {
		return strings.TrimRight(cfg.BaseURL, "/") + "/runbooks/" + strings.TrimSuffix(rb.File, ".md") + ".html"
	}
	return rb.File
}

// RelativeLinksWarning is set when alerts can only carry relative links.
func RelativeLinksWarning(cfg *config.Config) string {
	if cfg.BaseURL == "" && cfg.Alerts.RunbookURL == "" {
		return "neither base_url nor alerts.runbook_url is set in the config: alerts will carry relative runbook links, which an alert notification cannot open"
	}
	return ""
}

// alertRule writes the rule from the alert's condition: every string from
// trace data made inert for Prometheus's template expansion of labels and
// annotations.
func alertRule(rb *Runbook, a *Alert, link, expr, summary, description string) alerts.Rule {
	owner := rb.Owner.Owner
	if owner == "" {
		owner = "unowned"
	}
	labels := map[string]string{
		"severity": rb.Severity,
		"owner":    alerts.Inert(Clean(owner)),
		"node":     alerts.Inert(Clean(rb.Node.Name)),
		"symptom":  rb.Symptom,
		"rbgen_id": rb.ID,
	}
	if rb.Owner.Team != "" {
		labels["team"] = alerts.Inert(Clean(rb.Owner.Team))
	}
	return alerts.Rule{
		Alert: a.Name, Expr: expr, For: alerts.Duration(a.Cond.For),
		Text: alerts.Text{Labels: labels, Annotations: map[string]string{
			"summary":     alerts.Inert(Clean(rb.Node.Name) + ": " + summary),
			"description": description,
			"runbook_url": alerts.Inert(Clean(link)),
		}},
	}
}

// valueText is how the description shows the alert's value: its template
// call for the measure, in the target's unit.
func valueText(m alerts.Measure, t alerts.Target) string {
	switch m {
	case alerts.ErrorRatio, alerts.SlowRatio:
		return "{{ $value | humanizePercentage }}"
	}
	if t.Unit == 1 {
		return "{{ $value | humanizeDuration }}"
	}
	return "{{ $value | printf \"%.0f\" }} ms"
}

// groupName is the node's rule group.
func groupName(node string) string { return "rbgen-" + Slug(node) }

// backtest runs the alert over the node's recorded series for the period.
func backtest(a *Alert, s alerts.Series, w topology.Window, perWeek int) *Backtest {
	bt := newBacktest(a, w, s.Step, perWeek)
	bt.Firings = alerts.Evaluate(a.Cond, s, a.Target.Buckets, w.Start.Add(bt.Warmup), w.End)
	bt.judge(w)
	return bt
}

func newBacktest(a *Alert, w topology.Window, step time.Duration, perWeek int) *Backtest {
	bt := &Backtest{From: w.Start, To: w.End, Step: step, PerWeek: perWeek, Needs: a.Cond.For}
	for _, win := range a.Cond.Windows() {
		bt.Needs = max(bt.Needs, a.Cond.For+win)
	}
	// Until its longest window is full, an alert reads a fraction of
	// what Prometheus, with metrics from before, would.
	bt.Warmup = bt.Needs - a.Cond.For
	return bt
}

// judge says whether the firings are too many for the period.
func (bt *Backtest) judge(w topology.Window) {
	weeks := math.Max(1, math.Ceil(w.End.Sub(w.Start).Hours()/(7*24)-1e-9))
	bt.Limit = bt.PerWeek * int(weeks)
	bt.AlwaysOn = alerts.Total(bt.Firings) > w.End.Sub(w.Start)/2
	bt.Noisy = len(bt.Firings) > bt.Limit || bt.AlwaysOn
}

// maxFiringsListed bounds the firings a runbook lists.
const maxFiringsListed = 5

// Sentence says what the backtest found, in the runbook's words.
func (bt *Backtest) Sentence() string {
	period := spanOf(topology.Window{Start: bt.From, End: bt.To})
	span := humanSpan(bt.To.Sub(bt.From))
	res := ""
	if bt.Step > time.Minute {
		res = fmt.Sprintf(", at %s resolution", humanSpan(bt.Step))
	}
	if bt.Warmup > 0 {
		res += fmt.Sprintf(", from the first %s on, when its window is full", humanSpan(bt.Warmup))
	}
	over := "the traces read"
	if bt.Replayed {
		over = "its own series in Prometheus, evaluated there"
	}
	if short := bt.To.Sub(bt.From); short < bt.Needs {
		return fmt.Sprintf("Backtest: the period covers %s (%s), less than the %s the alert needs to fire (its window and `for`), so it was not backtested.",
			humanSpan(short), period, humanSpan(bt.Needs))
	}
	if len(bt.Firings) == 0 {
		return fmt.Sprintf("Backtest: over %s (%s, %s%s), this alert would not have fired.", over, period, span, res)
	}
	var list []string
	for i, f := range bt.Firings {
		if i == maxFiringsListed {
			list = append(list, fmt.Sprintf("and %d more", len(bt.Firings)-i))
			break
		}
		list = append(list, firingText(f))
	}
	s := fmt.Sprintf("Backtest: over %s (%s, %s%s), this alert would have fired %s, %s in all: %s.",
		over, period, span, res, times(len(bt.Firings)), humanSpan(alerts.Total(bt.Firings)), strings.Join(list, ", "))
	if bt.AlwaysOn {
		s += " **Always on**: it would fire most of the time, so it tells nobody anything until the standing problem is fixed or the threshold raised."
	} else if bt.Noisy {
		s += fmt.Sprintf(" **Noisy**: more than %s a week; raise the threshold or lengthen `for` in rbgen.yaml.", times(bt.PerWeek))
	}
	return s
}

func firingText(f alerts.Firing) string {
	start := f.Start.UTC()
	end := f.End.UTC()
	if f.Open {
		return start.Format("2006-01-02 15:04") + " until the end of the traces"
	}
	if start.Format("2006-01-02") == end.Format("2006-01-02") {
		return start.Format("2006-01-02 15:04") + "–" + end.Format("15:04")
	}
	return start.Format("2006-01-02 15:04") + " – " + end.Format("2006-01-02 15:04")
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// humanSpan writes a duration as 1h10m, 40 min, 7 days.
func humanSpan(d time.Duration) string {
	if d < 30*time.Second {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%d min", d/time.Minute)
}

// rulesPath is where the rules file goes.
func rulesPath(opt GenerateOptions) string {
	switch {
	case opt.AlertsPath != "":
		return opt.AlertsPath
	case opt.Config != nil && opt.Config.Alerts.File != "":
		return opt.Config.Alerts.File
	}
	return filepath.Join(opt.Dir, AlertsFile)
}

// rulesName is how a runbook names the rules file: relative to the runbook
// folder, so the text is the same on every machine.
func rulesName(opt GenerateOptions) string {
	p := rulesPath(opt)
	if rel, err := filepath.Rel(opt.Dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(filepath.Base(p))
}

// rulesFile writes every runbook's alert once, one group per node, groups
// and rules in name order.
func rulesFile(all []*Alert, opt GenerateOptions) ([]byte, error) {
	byGroup := map[string][]alerts.Rule{}
	for _, a := range all {
		byGroup[a.Group] = append(append(byGroup[a.Group], a.Records...), a.Rule)
	}
	f := alerts.File{Groups: []alerts.Group{}}
	for _, name := range sortedKeys(byGroup) {
		rules := byGroup[name]
		// Recording rules first, so an evaluation's alerts read this
		// evaluation's SLIs.
		sort.SliceStable(rules, func(i, j int) bool {
			if (rules[i].Record == "") != (rules[j].Record == "") {
				return rules[i].Record != ""
			}
			return rules[i].Record+rules[i].Alert < rules[j].Record+rules[j].Alert
		})
		f.Groups = append(f.Groups, alerts.Group{Name: name, Rules: rules})
	}
	format := opt.AlertsFormat
	if format == "" {
		format = opt.Config.Alerts.Format
	}
	if format == "prometheusrule" {
		pr := opt.Config.Alerts.PrometheusRule
		name := pr.Name
		if name == "" {
			name = "rbgen"
		}
		return alerts.MarshalPrometheusRule(f, alerts.Metadata{Name: name, Namespace: pr.Namespace, Labels: pr.Labels})
	}
	return alerts.Marshal(f)
}

// alertWarnings are what generate tells the person running it about the
// alerts: links they cannot open, alerts that would page too often.
func alertWarnings(all []*Alert, cfg *config.Config) []string {
	var out []string
	if w := RelativeLinksWarning(cfg); w != "" && len(all) > 0 {
		out = append(out, w)
	}
	var noisy []string
	for _, a := range all {
		if a.Backtest != nil && a.Backtest.Noisy {
			noisy = append(noisy, fmt.Sprintf("%s (%s, %s)", a.Name, a.Rule.Labels["rbgen_id"], times(len(a.Backtest.Firings))))
		}
	}
	if len(noisy) > 0 {
		out = append(out, fmt.Sprintf("%d alert(s) would fire more than %d times a week in the backtest (noisy): %s",
			len(noisy), cfg.Alerts.NoisyPerWeek, strings.Join(noisy, ", ")))
	}
	return out
}

// slowRatio is the share of the node's recorded calls slower than bound,
// or 1% (what a p99 leaves above it) without a recording.
func slowRatio(rec *alerts.Recorder, n topology.Node, bound float64, buckets []float64) float64 {
	if rec == nil {
		return 0.01
	}
	var calls, slow float64
	for _, c := range SeriesOf(rec, n).Cells {
		calls += float64(c.Calls)
		for i, v := range c.Hist {
			if i >= len(buckets) || buckets[i] > bound*(1+1e-9) {
				slow += float64(v)
			}
		}
	}
	if calls == 0 {
		return 0.01
	}
	return slow / calls
}
