package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Measure is what a clause measures over its window.
type Measure int

const (
	// ErrorRatio is failed calls over calls.
	ErrorRatio Measure = iota
	// Quantile is a latency quantile, from the histogram's buckets as
	// histogram_quantile interpolates them, in seconds.
	Quantile
	// SlowRatio is the share of calls slower than a bucket bound.
	SlowRatio
)

// Clause is one comparison over one window: Measure above Above, with at
// least MinCalls calls in the window and at least MinBad of them bad
// (failed, or slower than the latency bound). The guards keep a quiet
// hour's one failure, a 100% or 5% error ratio of a handful of calls, from
// paging.
type Clause struct {
	Measure Measure
	Window  time.Duration
	Above   float64
	// Q is the quantile for Quantile (0.99); Bound the bucket bound in
	// seconds for SlowRatio.
	Q, Bound         float64
	MinCalls, MinBad int
	// Recorded, when set, is the recording rule's series that holds the
	// measure over the window: the PromQL compares it instead of
	// computing the measure again.
	Recorded string
}

// Condition holds when every clause of any one of its terms holds: the
// shape of a plain threshold (one term, one clause), of "errors or
// latency", and of multiwindow burn-rate alerts (terms of a long and a
// short window).
type Condition struct {
	Terms [][]Clause
	// For is how long it must hold before the alert fires.
	For time.Duration
}

// Single is a condition of one clause.
func Single(c Clause, hold time.Duration) Condition {
	return Condition{Terms: [][]Clause{{c}}, For: hold}
}

// Windows lists the distinct windows the condition reads.
func (c Condition) Windows() []time.Duration {
	var out []time.Duration
	seen := map[time.Duration]bool{}
	for _, t := range c.Terms {
		for _, cl := range t {
			if !seen[cl.Window] {
				seen[cl.Window] = true
				out = append(out, cl.Window)
			}
		}
	}
	return out
}

// PromQL writes the condition over a target's series.
func (c Condition) PromQL(t Target) string {
	terms := make([]string, len(c.Terms))
	for i, term := range c.Terms {
		parts := make([]string, len(term))
		for j, cl := range term {
			parts[j] = cl.PromQL(t)
		}
		terms[i] = strings.Join(parts, "\nand\n")
		if len(c.Terms) > 1 && len(term) > 1 {
			terms[i] = "(\n" + indentLines(terms[i]) + "\n)"
		}
	}
	return strings.Join(terms, "\nor\n")
}

// PromQL writes one clause, with its guards.
func (cl Clause) PromQL(t Target) string {
	if cl.Recorded != "" {
		return cl.Recorded + " > " + Number(cl.Above)
	}
	return cl.MeasureExpr(t) + " > " + Number(cl.aboveIn(t)) + cl.guards(t)
}

// aboveIn is the threshold in the target's unit.
func (cl Clause) aboveIn(t Target) float64 {
	if cl.Measure == Quantile {
		return cl.Above / t.Unit
	}
	return cl.Above
}

// MeasureExpr is the PromQL of the clause's measure over its window.
func (cl Clause) MeasureExpr(t Target) string {
	w := Duration(cl.Window)
	switch cl.Measure {
	case ErrorRatio:
		return fmt.Sprintf("(\n  sum(rate(%s{%s}[%s]))\n  /\n  sum(rate(%s{%s}[%s]))\n)", t.ErrorCalls, t.ErrorSelector, w, t.Calls, t.Selector, w)
	case Quantile:
		return fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s{%s}[%s])))", Number(cl.Q), t.Bucket, t.Selector, w)
	}
	return fmt.Sprintf("(\n  1 - sum(rate(%s{%s, le=%q}[%s]))\n  /\n  sum(rate(%s{%s, le=\"+Inf\"}[%s]))\n)",
		t.Bucket, t.Selector, LE(cl.Bound, t.Unit), w, t.Bucket, t.Selector, w)
}

// guards are the traffic and bad-call guards, each an "and" clause.
func (cl Clause) guards(t Target) string {
	w := Duration(cl.Window)
	expr := ""
	if cl.MinCalls > 0 {
		expr += fmt.Sprintf("\nand\nsum(increase(%s{%s}[%s])) >= %d", t.Calls, t.Selector, w, cl.MinCalls)
	}
	if cl.MinBad > 0 {
		switch cl.Measure {
		case ErrorRatio:
			expr += fmt.Sprintf("\nand\nsum(increase(%s{%s}[%s])) >= %d", t.ErrorCalls, t.ErrorSelector, w, cl.MinBad)
		default:
			expr += fmt.Sprintf("\nand\n(\n  sum(increase(%s{%s, le=\"+Inf\"}[%s]))\n  -\n  sum(increase(%s{%s, le=%q}[%s]))\n) >= %d",
				t.Bucket, t.Selector, w, t.Bucket, t.Selector, LE(cl.badBound(), t.Unit), w, cl.MinBad)
		}
	}
	return expr
}

// badBound is the bucket bound above which a call counts as slow.
func (cl Clause) badBound() float64 {
	if cl.Measure == SlowRatio {
		return cl.Bound
	}
	return cl.Above
}

func indentLines(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// Number writes a float as PromQL reads it, without exponent noise.
func Number(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

// Duration writes a duration as Prometheus reads it: 5m, 1h, 1h30m, 30s.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%dh%dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
