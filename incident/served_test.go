package incident

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// TestGraphCallsAreTheRequestsAProfileServed reads each file once into a
// graph and a profile of all time, and requires that every node's calls in
// the graph are the requests the profile says it served: both read the
// same view of each trace.
func TestGraphCallsAreTheRequestsAProfileServed(t *testing.T) {
	files := []string{"../testdata/demo-week.otlp.jsonl.gz"}
	const corpus = "../../shared/corpus"
	if _, err := os.Stat(corpus); err == nil {
		for _, pattern := range []string{"*/*.otlp.jsonl*", "*/*/*.otlp.jsonl*"} {
			more, _ := filepath.Glob(filepath.Join(corpus, pattern))
			files = append(files, more...)
		}
	} else {
		t.Logf("corpus not found at %s: checking the demo week only", corpus)
	}
	sort.Strings(files)
	all := [2]time.Time{time.Unix(0, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ib := NewBuilder(topology.Options{}, &all, nil)
			err := (&tracefile.Reader{Paths: []string{path}}).Stream(context.Background(), func(b topology.Batch) error {
				ib.Add(b)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			g := ib.Finish()
			if g.LateSpans > 0 {
				// The graph counts a late trace's calls, a profile skips it:
				// no file here has one, and one that does must say so.
				t.Fatalf("%d late spans: the counts cannot be compared", g.LateSpans)
			}
			served := ib.Baseline.merge(all[0], all[1]).services
			for name, sp := range served {
				if _, ok := g.Node(name); !ok && sp.served.Calls > 0 {
					t.Errorf("%s served %d requests in the profile and is no node of the graph", name, sp.served.Calls)
				}
			}
			for _, n := range g.Nodes {
				if n.Kind == topology.KindMessaging && n.Virtual {
					continue // a broker is credited only once the whole input shows nobody consumed
				}
				var got int64
				if sp := served[n.Name]; sp != nil {
					got = sp.served.Calls
				}
				if got != n.Calls {
					t.Errorf("%s: %d calls in the graph, %d requests served in the profile", n.Name, n.Calls, got)
				}
			}
		})
	}
}

func TestAServiceWithAnIDInEverySpanNameKeepsABoundedProfile(t *testing.T) {
	at := time.Unix(0, spantest.EpochNS).UTC()
	ib := NewBuilder(topology.Options{}, nil, &[2]time.Time{at.Add(-time.Minute), at.Add(time.Hour)})
	for i := 0; i < 5000; i++ {
		tr := fmt.Sprintf("t%d", i)
		ib.Add(topology.Batch{Traces: spantest.Batch(spantest.Span{Trace: tr, ID: tr, Svc: "web",
			Name: fmt.Sprintf("GET /orders/%d", i), Kind: ptrace.SpanKindServer, Start: float64(i), Dur: 1}), Whole: true})
	}
	ib.Finish()
	sp := ib.Window.merge(ib.Window.From, ib.Window.To).services["web"]
	if len(sp.ops) > topology.DefaultMaxOperations+1 || sp.ops[topology.OtherName] == nil {
		t.Errorf("%d operations profiled", len(sp.ops))
	}
}

func TestAWindowOfYearsIsProfiledInABoundedNumberOfSteps(t *testing.T) {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(3, 0, 0)
	ib := NewBuilder(topology.Options{}, &[2]time.Time{from.AddDate(0, 0, -7), from}, &[2]time.Time{from, to})
	hour := float64(time.Hour / time.Millisecond)
	at := float64(from.Add(-24*time.Hour).UnixNano()-spantest.EpochNS) / 1e6
	for i := 0; i < 3*365*4+24; i++ { // every six hours, a day of baseline first
		tr := fmt.Sprintf("y%d", i)
		ib.Add(topology.Batch{Traces: spantest.Batch(spantest.Span{Trace: tr, ID: tr, Svc: "web", Name: "GET /",
			Kind: ptrace.SpanKindServer, Start: at + float64(i)*6*hour, Dur: 5}), Whole: true})
	}
	ib.Finish()
	if n := len(ib.Window.buckets); n > maxSeriesBuckets {
		t.Errorf("%d buckets for three years", n)
	}
	a, err := Analyze(ib.Baseline, ib.Window, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if a.Step <= time.Minute || len(a.Minutes) > maxSeriesBuckets || a.Impact.Requests != int64(to.Sub(from)/(6*time.Hour)) {
		t.Errorf("step %v, %d points, %d requests", a.Step, len(a.Minutes), a.Impact.Requests)
	}
}
