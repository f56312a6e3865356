package generator

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/topology"
)

// burnWindow is one multiwindow burn-rate condition of the Google SRE
// Workbook (chapter 5, "Alerting on SLOs"): it fires when the long window
// has burnt Share of the period's error budget and the short window (a
// twelfth of it) still burns at that rate, so it stops soon after the
// burning does.
type burnWindow struct {
	Long, Short time.Duration
	Share       float64
	Kind        string // page or ticket
}

// burnWindows are the Workbook's recommended pairs: 2% of the budget in an
// hour or 5% in six hours pages; 10% in a day or in three days opens a
// ticket.
var burnWindows = []burnWindow{
	{time.Hour, 5 * time.Minute, 0.02, "page"},
	{6 * time.Hour, 30 * time.Minute, 0.05, "page"},
	{24 * time.Hour, 2 * time.Hour, 0.10, "ticket"},
	{72 * time.Hour, 6 * time.Hour, 0.10, "ticket"},
}

// Burn alerts' `for`: long enough to skip one bad evaluation, short
// against the windows.
const (
	pageFor   = 2 * time.Minute
	ticketFor = 15 * time.Minute
)

// factor is the burn rate at which the window spends its share: 14.4 for
// 2% of a 30-day budget in an hour.
func (w burnWindow) factor(period time.Duration) float64 {
	return roundSig(w.Share * period.Hours() / w.Long.Hours())
}

// objective is one SLO of a node as its alerts read it.
type objective struct {
	what    string // "availability" or "latency"
	target  float64
	budget  float64 // allowed bad ratio
	measure alerts.Measure
	bound   float64 // SlowRatio's bucket bound, seconds
	moved   bool
	period  time.Duration
	record  string // recording rule name prefix
}

// objectiveFor is the node's objective that a runbook's symptom answers
// to: availability for errors (and degraded), latency for latency.
func objectiveFor(cfg *config.Config, n topology.Node, symptom string, buckets []float64) (objective, bool) {
	o, ok := cfg.Objectives[n.Name]
	if !ok {
		return objective{}, false
	}
	switch {
	case (symptom == SymptomErrors || symptom == SymptomDegraded) && o.Availability > 0:
		return objective{what: "availability", target: o.Availability, budget: 1 - o.Availability/100,
			measure: alerts.ErrorRatio, period: o.Period.Duration, record: "rbgen:sli_errors:ratio_rate"}, true
	case symptom == SymptomLatency && o.Latency != nil:
		b, moved := alerts.RoundUpToBucket(o.Latency.ThresholdMS/1000, buckets)
		return objective{what: "latency", target: o.Latency.Percent, budget: 1 - o.Latency.Percent/100,
			measure: alerts.SlowRatio, bound: b, moved: moved, period: o.Period.Duration, record: "rbgen:sli_slow:ratio_rate"}, true
	}
	return objective{}, false
}

// sloAlerts writes the SLI recording rules and the page and ticket
// burn-rate alerts of an objective.
func sloAlerts(rb *Runbook, rc ruleContext, tr *Trigger, o objective, target alerts.Target) []*Alert {
	n := rb.Node
	nodeLabel := Clean(n.Name)
	recorded := func(w time.Duration) string {
		return o.record + alerts.Duration(w) + "{rbgen_node=" + alerts.Quote(nodeLabel) + "}"
	}
	var records []alerts.Rule
	seen := map[time.Duration]bool{}
	for _, bw := range burnWindows {
		for _, w := range []time.Duration{bw.Short, bw.Long} {
			if seen[w] {
				continue
			}
			seen[w] = true
			cl := alerts.Clause{Measure: o.measure, Window: w, Bound: o.bound}
			// Recording rules' labels are stored as written, not expanded.
			records = append(records, alerts.Rule{Record: o.record + alerts.Duration(w), Expr: cl.MeasureExpr(target),
				Text: alerts.Text{Labels: map[string]string{"rbgen_node": nodeLabel}}})
		}
	}
	var out []*Alert
	for _, kind := range []string{"page", "ticket"} {
		a := &Alert{Node: n, Name: alertName(n.Name, o.what) + "Burn" + strings.ToUpper(kind[:1]) + kind[1:],
			Group: tr.Group, Target: target}
		a.Cond.For = pageFor
		if kind == "ticket" {
			a.Cond.For = ticketFor
		}
		var rows []string
		for _, bw := range burnWindows {
			if bw.Kind != kind {
				continue
			}
			f := bw.factor(o.period)
			above := f * o.budget
			a.Cond.Terms = append(a.Cond.Terms, []alerts.Clause{
				{Measure: o.measure, Window: bw.Long, Above: above, Bound: o.bound, Recorded: recorded(bw.Long)},
				{Measure: o.measure, Window: bw.Short, Above: above, Bound: o.bound, Recorded: recorded(bw.Short)},
			})
			rows = append(rows, fmt.Sprintf("| %s | %s and %s | %s× | %s | %s of the budget |", kind, alerts.Duration(bw.Long),
				alerts.Duration(bw.Short), alerts.Number(f), alerts.Number(above*100)+"%", Percent(bw.Share)))
		}
		if kind == "page" {
			a.Records = records
		}
		severity := rb.Severity
		if kind == "ticket" {
			severity = "low"
		}
		summary := fmt.Sprintf("%s SLO (%s%%) burning its error budget fast enough to %s", o.what, alerts.Number(o.target), kind)
		description := alerts.Inert(Clean(n.Name)+" burns its "+o.what+" error budget: ") + valueText(alerts.ErrorRatio, target) +
			alerts.Inert(fmt.Sprintf(" bad calls in the long window, against a budget of %s over %s.", Percent(o.budget), humanSpan(o.period)))
		a.Rule = alertRule(rb, a, tr.RunbookURL, a.Cond.PromQL(target), summary, description)
		a.Rule.Labels["severity"] = severity
		a.Rule.Labels["slo"] = o.what
		a.Rule.Labels["burn"] = kind
		tr.BurnRows = append(tr.BurnRows, rows...)
		out = append(out, a)
	}
	return out
}

// objectiveText explains the objective and its error budget at the traced
// traffic.
func objectiveText(n topology.Node, o objective, nums Numbers) string {
	w := nums.Window
	period := w.End.Sub(w.Start)
	what := fmt.Sprintf("%s%% of calls succeed", alerts.Number(o.target))
	if o.what == "latency" {
		what = fmt.Sprintf("%s%% of calls are faster than %s", alerts.Number(o.target), Millis(o.bound*1000))
	}
	s := fmt.Sprintf("Objective (rbgen.yaml): %s over %s. The error budget is the other %s of calls", what, humanSpan(o.period), Percent(o.budget))
	if period > 0 && n.Calls > 0 {
		perWeek := float64(n.Calls) * (7 * 24 * time.Hour).Hours() / period.Hours()
		s += fmt.Sprintf(": at the rate observed (%s calls a week %s, %s), about %s bad calls a week",
			HumanCount(int64(math.Round(perWeek))), nums.In(), periodText(w), HumanCount(int64(math.Round(perWeek*o.budget))))
	}
	if base := baseBad(n, o); base > o.budget {
		s += fmt.Sprintf(". **The period observed already misses it**: %s of calls were bad, against a budget of %s, so the slower burn-rate alerts fire much of the time until the service meets its objective or the objective is changed", Percent(base), Percent(o.budget))
	}
	s += ". The alerts fire on how fast the budget burns (the SRE Workbook's multiwindow, multi-burn-rate alerts), not on a baseline."
	if o.moved {
		s += " The latency bound is moved up to the histogram's bucket bound, since only bounds are counted exactly."
	}
	return s
}

// baseBad is the bad ratio the traces read show for the objective; for
// latency, read off the node's p99 only as "above" or not.
func baseBad(n topology.Node, o objective) float64 {
	if o.what == "availability" {
		return n.ErrorRatio()
	}
	if n.P99MS > o.bound*1000 {
		return 0.01 // at least the 1% a p99 leaves above it
	}
	return 0
}
