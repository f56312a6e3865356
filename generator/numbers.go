package generator

import (
	"fmt"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// Numbers says where a document's calls, errors and latencies came from,
// so that a count from a sample never reads as traffic.
type Numbers struct {
	// Source is a topology.Stats* constant.
	Source string
	// Window is the period the numbers cover; Traces the traces read
	// (the shape of the graph, and the numbers too for StatsTraces).
	Window  topology.Window
	Traces  int64
	Sampled bool
	// TracesWindow is the traces' own period, which numbers the metrics
	// did not measure cover.
	TracesWindow topology.Window
}

// NumbersOf reads a graph's provenance.
func NumbersOf(g *topology.Graph) Numbers {
	n := Numbers{Source: g.StatsSource, Window: g.StatsWindow, Traces: g.Traces, Sampled: g.Sampled, TracesWindow: g.Window}
	if n.Source == "" {
		n.Source = topology.StatsTraces
	}
	if n.Window.Start.IsZero() {
		n.Window = g.Window
	}
	return n
}

// For is the provenance of one node's, edge's or operation's numbers: the
// graph's, unless the metrics did not measure it and the traces did.
func (n Numbers) For(s topology.Stats) Numbers {
	if s.Source == topology.StatsTraces && n.Source != topology.StatsTraces {
		n.Source, n.Window = topology.StatsTraces, n.TracesWindow
	}
	return n
}

// Exact says the numbers count every span, not the traces read.
func (n Numbers) Exact() bool { return n.Source != topology.StatsTraces }

// In is the phrase that follows a number: "calls in the traces read".
func (n Numbers) In() string {
	switch n.Source {
	case topology.StatsTempoMetrics:
		return "in Tempo's TraceQL metrics"
	case topology.StatsPrometheus:
		return "in the span metrics in Prometheus"
	}
	return "in the traces read"
}

// Sentence says it in full, for the head of a document: "Numbers: exact,
// from Tempo's TraceQL metrics over 2026-11-09 00:00 – 2026-11-16 00:00
// UTC (7 days)" or "Numbers: counted in a sample of 3,360 traces …".
func (n Numbers) Sentence() string {
	period := observedText(n.Window)
	switch n.Source {
	case topology.StatsTempoMetrics:
		return fmt.Sprintf("Numbers: exact, from Tempo's TraceQL metrics over %s; the paths between services from %s.", period, n.traces())
	case topology.StatsPrometheus:
		return fmt.Sprintf("Numbers: exact, from the span-metrics and service-graph series in Prometheus over %s; the paths between services from %s.", period, n.traces())
	}
	return fmt.Sprintf("Numbers: counted in %s over %s, not in all traffic.", n.traces(), period)
}

// Short is the index's cell: "2,416 traces" or "Tempo metrics".
func (n Numbers) Short() string {
	switch n.Source {
	case topology.StatsTempoMetrics:
		return "Tempo metrics"
	case topology.StatsPrometheus:
		return "Prometheus"
	}
	if n.Sampled {
		return "sample of " + HumanCount(n.Traces) + " traces"
	}
	return HumanCount(n.Traces) + " traces"
}

func (n Numbers) traces() string {
	if n.Sampled {
		return fmt.Sprintf("a sample of %s traces that Tempo's search returned", HumanCount(n.Traces))
	}
	return fmt.Sprintf("the %s traces read", HumanCount(n.Traces))
}

// observedText names the period as it is: "2026-01-12 13:55 – 2026-01-12 14:05
// UTC (10 min observed)", never "last week".
func observedText(w topology.Window) string {
	if w.Start.IsZero() {
		return "no period (the traces hold no spans)"
	}
	return fmt.Sprintf("%s (%s observed)", spanOf(w), humanSpan(w.End.Sub(w.Start)))
}

// spanOf writes a period as "2026-01-12 13:55 – 2026-01-12 14:05 UTC":
// whole dates on both ends, which a weekly run blanks to tell new dates
// from new content.
func spanOf(w topology.Window) string {
	return w.Start.UTC().Format("2006-01-02 15:04") + " – " + w.End.UTC().Format("2006-01-02 15:04") + " UTC"
}

// PeriodWarning is a warning for a period too short or too long to size
// alerts on, "" for one that is fine.
func PeriodWarning(w topology.Window) string {
	if w.Start.IsZero() {
		return ""
	}
	d := w.End.Sub(w.Start)
	switch {
	case d < 12*time.Hour:
		return fmt.Sprintf("the traces cover only %s (%s): the baselines and thresholds miss the day's peaks and troughs; a week of traces sizes them better",
			humanSpan(d), spanOf(w))
	case d > 35*24*time.Hour:
		return fmt.Sprintf("the traces cover %s: the baselines blend weeks, so a change inside them is averaged away; a week or two of traces sizes them better", humanSpan(d))
	}
	return ""
}
