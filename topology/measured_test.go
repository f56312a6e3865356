package topology

import (
	"testing"
	"time"
)

func TestHistogramQuantile(t *testing.T) {
	for _, c := range []struct {
		name    string
		buckets map[float64]int64
		q, want float64
	}{
		{"no calls have no quantile", nil, 0.99, 0},
		{"one bucket interpolates inside it", map[float64]int64{0.002: 100}, 0.5, 1.5},
		{"the p99 falls in the bucket holding the 99th call", map[float64]int64{0.001: 98, 0.004: 2}, 0.99, 3},
		{"the top is the last bound", map[float64]int64{0.001: 10, 0.002: 10}, 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &Histogram{Buckets: c.buckets}
			if got := h.QuantileMS(c.q); got != c.want {
				t.Errorf("q%.2f = %v ms, want %v", c.q, got, c.want)
			}
		})
	}
}

func TestApplyPutsMeasuredNumbersWhereTheyWereMeasured(t *testing.T) {
	g := &Graph{StatsSource: StatsTraces,
		Nodes: []Node{
			{Name: "api", Kind: KindService, Stats: Stats{Calls: 10, Errors: 1}, Operations: []Operation{{Name: "GET /", Stats: Stats{Calls: 10, Errors: 1}}}},
			{Name: "db", Kind: KindDatabase, Virtual: true, Stats: Stats{Calls: 7}},
			{Name: "web", Kind: KindService, Stats: Stats{Calls: 10}, Operations: []Operation{{Name: "GET /home", Stats: Stats{Calls: 10}}}},
		},
		Edges:  []Edge{{From: "api", To: "db", Stats: Stats{Calls: 7}}, {From: "web", To: "api", Stats: Stats{Calls: 10}}},
		Merged: []Merge{{From: "API", Into: "api", Reason: "letter case"}},
	}
	h := func(calls, errs int64) *Histogram {
		return &Histogram{Calls: calls, Errors: errs, Buckets: map[float64]int64{0.004: calls}}
	}
	week := Window{Start: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}
	added := g.Apply(Measured{Source: StatsTempoMetrics, Window: week,
		Served: map[string]map[string]*Histogram{
			"api": {"GET /": h(900, 9)},
			"API": {"GET /": h(100, 1), "POST /admin": {Calls: 5, Match: []Attr{{Key: "http.route", Value: "/admin"}}}},
			"web": {"GET /home": h(1000, 0)},
		},
		Calls: map[string]map[string]*Histogram{"web": {"api": h(990, 10), "API": h(10, 0)}},
	})
	api, _ := g.Node("api")
	if api.Calls != 1005 || api.Errors != 10 || api.Source != "" {
		t.Errorf("api: %+v; want both spellings' calls, 1005 and 10 errors", api.Stats)
	}
	if added != 1 || len(api.Operations) != 2 || api.Operations[0].Calls != 1000 || api.Operations[1].Name != "POST /admin" {
		t.Errorf("%d added; operations %+v; want GET / exact and POST /admin added", added, api.Operations)
	}
	if db, _ := g.Node("db"); db.Calls != 7 || db.Source != StatsTraces {
		t.Errorf("db: %+v; want the traces' numbers, marked so", db.Stats)
	}
	if g.Edges[0].Source != StatsTraces || g.Edges[1].Calls != 1000 || g.Edges[1].Source != "" {
		t.Errorf("edges %+v", g.Edges)
	}
	if g.StatsSource != StatsTempoMetrics || g.StatsWindow != week {
		t.Errorf("graph says %q over %v", g.StatsSource, g.StatsWindow)
	}
}
