package generator

import (
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/topology"
)

func TestNumbersSayWhereTheyCameFrom(t *testing.T) {
	start := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	week := topology.Window{Start: start, End: start.Add(7 * 24 * time.Hour)}
	tenMin := topology.Window{Start: start, End: start.Add(10 * time.Minute)}
	for _, c := range []struct {
		name string
		g    topology.Graph
		want []string
	}{
		{"traces read from files are counted, not called traffic",
			topology.Graph{StatsSource: topology.StatsTraces, StatsWindow: tenMin, Traces: 2416},
			[]string{"counted in the 2416 traces read", "2026-11-09 00:00 – 2026-11-09 00:10 UTC (10 min observed)", "not in all traffic"}},
		{"a Tempo search that hit its limit is called a sample",
			topology.Graph{StatsSource: topology.StatsTraces, StatsWindow: week, Traces: 3360, Sampled: true},
			[]string{"a sample of 3360 traces that Tempo's search returned", "(7 days observed)"}},
		{"metrics are exact, and the paths still come from the traces",
			topology.Graph{StatsSource: topology.StatsTempoMetrics, StatsWindow: week, Traces: 3360, Sampled: true},
			[]string{"exact, from Tempo's TraceQL metrics over 2026-11-09 00:00 – 2026-11-16 00:00 UTC", "the paths between services from a sample of 3360 traces"}},
		{"a graph from before provenance was recorded reads as traces",
			topology.Graph{Window: tenMin, Traces: 5},
			[]string{"counted in the 5 traces read", "(10 min observed)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := NumbersOf(&c.g).Sentence()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
}

func TestPeriodWarning(t *testing.T) {
	start := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		d    time.Duration
		want string
	}{
		{"three seconds are far too short", 3 * time.Second, "cover only 3 s"},
		{"ten minutes are too short", 10 * time.Minute, "cover only 10 min"},
		{"a day is fine", 24 * time.Hour, ""},
		{"a week is fine", 7 * 24 * time.Hour, ""},
		{"a year blends too much", 330 * 24 * time.Hour, "cover 330 days"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := PeriodWarning(topology.Window{Start: start, End: start.Add(c.d)})
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
