package incident_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// analyzeFault writes two days of the demo shop with a fault on the second
// afternoon and analyses [from, to) against the week before.
func analyzeFault(t *testing.T, f demo.Fault, from, to time.Time) (*incident.Analysis, demo.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 1200, Faults: []demo.Fault{f}})
	if err != nil {
		t.Fatal(err)
	}
	lead := 15 * time.Minute
	ib := incident.NewBuilder(topology.Options{},
		&[2]time.Time{from.Add(-7 * 24 * time.Hour), from}, &[2]time.Time{from.Add(-lead), to.Add(lead)})
	err = (&tracefile.Reader{Paths: []string{"-"}, Stdin: &buf}).Stream(context.Background(), func(b topology.Batch) error {
		ib.Add(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ib.Finish()
	a, err := incident.Analyze(ib.Baseline, ib.Window, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return a, st
}

var (
	faultStart = time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	faultEnd   = faultStart.Add(30 * time.Minute)
)

func near(a, b time.Time) bool { return a.Sub(b).Abs() <= 2*time.Minute }

func TestIncidentsOnTheDemoShop(t *testing.T) {
	cases := []struct {
		name  string
		fault demo.Fault
		moved string // what the node's own change shows
	}{
		{"errors in one service put that service first", demo.Fault{Node: "checkout", ErrorRate: 1}, incident.MovedErrors},
		{"latency in one database puts that database first", demo.Fault{Node: "catalog-db/products", Latency: 300 * time.Millisecond}, incident.MovedP50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			f.Start, f.End = faultStart, faultEnd
			a, st := analyzeFault(t, f, faultStart, faultEnd)
			if len(a.Suspects) == 0 || a.Suspects[0].Node != f.Node {
				t.Fatalf("suspects %+v, want %s first", a.Suspects, f.Node)
			}
			top := a.Suspects[0]
			if len(top.Evidence) == 0 || len(top.Examples) == 0 {
				t.Errorf("suspect #1 has no evidence or example traces: %+v", top)
			}
			if c := changeOf(a, incident.ChangeNode, f.Node); c == nil || !slices.Contains(c.Moved, tc.moved) {
				t.Errorf("the changes show %s as %+v, want %s moved", f.Node, c, tc.moved)
			}
			if len(top.Series) != len(a.Minutes) || top.SeriesOf.Kind == "" {
				t.Fatalf("suspect #1's series has %d minutes (%q), the analysis %d", len(top.Series), top.SeriesOf.Kind, len(a.Minutes))
			}
			// Its own signal stands out in every minute of the fault and in
			// none around it.
			lowestIn, highestOut := math.Inf(1), math.Inf(-1)
			for i, m := range a.Minutes {
				if v := top.Series[i]; !math.IsNaN(v) && !m.T.Before(faultStart) && m.T.Before(faultEnd) {
					lowestIn = min(lowestIn, v)
				} else if !math.IsNaN(v) {
					highestOut = max(highestOut, v)
				}
			}
			if lowestIn <= highestOut || lowestIn <= top.SeriesBaseline {
				t.Errorf("%s: lowest in the fault %.3g, highest around it %.3g, baseline %.3g", top.SeriesOf.Kind, lowestIn, highestOut, top.SeriesBaseline)
			}
			if !near(a.Start, faultStart) || !a.Recovered || !near(a.End, faultEnd) {
				t.Errorf("timeline %s – %s (recovered %v), fault %s – %s", a.Start, a.End, a.Recovered, faultStart, faultEnd)
			}
			var requests, failed int64
			for _, n := range st.WindowTraces {
				requests += n
			}
			for _, n := range st.WindowFailures {
				failed += n
			}
			if a.Impact.Requests != requests || a.Impact.Failed != failed {
				t.Errorf("impact %d requests, %d failed; the generator made %d and %d", a.Impact.Requests, a.Impact.Failed, requests, failed)
			}
		})
	}
}

func TestIncidentErrors(t *testing.T) {
	ib := incident.NewBuilder(topology.Options{}, &[2]time.Time{faultStart.Add(-time.Hour), faultStart},
		&[2]time.Time{faultStart, faultEnd})
	ib.Finish()
	if _, err := incident.Analyze(ib.Baseline, ib.Window, faultStart, faultEnd); !errors.Is(err, incident.ErrEmptyProfile) {
		t.Errorf("err = %v, want ErrEmptyProfile", err)
	}
}

func changeOf(a *incident.Analysis, kind, name string) *incident.Change {
	for i, c := range a.Changes {
		if c.Kind == kind && c.Name == name {
			return &a.Changes[i]
		}
	}
	return nil
}

// BenchmarkIncidentProfile is topology's BenchmarkDecodeAndBuild with the
// baseline and window profiles a postmortem keeps (self times, wire times,
// handler shapes) on top of the graph.
func BenchmarkIncidentProfile(b *testing.B) {
	day := spantest.DemoDay(b)
	all := [2]time.Time{time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.SetBytes(int64(len(day)))
	var spans int64
	start := time.Now()
	for b.Loop() {
		ib := incident.NewBuilder(topology.Options{}, &all, &all)
		src := &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(day)}
		if err := src.Stream(context.Background(), func(batch topology.Batch) error { ib.Add(batch); return nil }); err != nil {
			b.Fatal(err)
		}
		spans += ib.Finish().Spans
	}
	b.ReportMetric(float64(spans)/time.Since(start).Seconds(), "spans/s")
}

// BenchmarkManySiblings profiles one trace whose root has n children that
// all run at once (the worst case for measuring each one's own time
// against its siblings): time per span must stay flat as n grows tenfold.
func BenchmarkManySiblings(b *testing.B) {
	for _, n := range []int{5_000, 50_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			spans := []spantest.Span{{Trace: "t", ID: "r", Svc: "web", Name: "GET /", Kind: ptrace.SpanKindServer, Dur: 100}}
			for i := 0; i < n; i++ {
				spans = append(spans, spantest.Span{Trace: "t", ID: fmt.Sprintf("k%d", i), Parent: "r", Svc: "web",
					Name: "work", Kind: ptrace.SpanKindInternal, Start: 1 + float64(i)*1e-6, Dur: 50})
			}
			td := spantest.Batch(spans...)
			at := time.Unix(0, spantest.EpochNS).UTC()
			window := [2]time.Time{at.Add(-time.Minute), at.Add(time.Minute)}
			for b.Loop() {
				ib := incident.NewBuilder(topology.Options{}, nil, &window)
				ib.Add(topology.Batch{Traces: td, Whole: true})
				ib.Finish()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(spans)), "ns/span")
		})
	}
}
