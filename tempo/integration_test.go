package tempo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/internal/tempotest"
	"github.com/rbgen/rbgen/tempo"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// week is the demo shop's traces for the seven days before now, so that
// Tempo's default ingestion and search windows hold them.
type week struct {
	start, end time.Time
	raw        []byte // OTLP JSON lines
	traces     ptrace.Traces
}

func demoWeek(t *testing.T, days int) week {
	t.Helper()
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	var buf bytes.Buffer
	if _, err := demo.Write(&buf, demo.Config{Start: start, Days: days}); err != nil {
		t.Fatal(err)
	}
	return week{start: start, end: end.Add(time.Hour), raw: buf.Bytes(), traces: spantest.Traces(t, buf.Bytes())}
}

func (w week) fileGraph(t *testing.T) *topology.Graph {
	t.Helper()
	g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(w.raw)}, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func client(t *testing.T, s *tempotest.Server, w week, mod func(*tempo.Config)) *tempo.Client {
	t.Helper()
	cfg := tempo.Config{GRPCAddr: s.GRPCAddr, HTTPURL: s.HTTPURL, End: w.end, Lookback: w.end.Sub(w.start),
		LimitPerWindow: 1000, RetryBase: 50 * time.Millisecond, Retries: 2, Timeout: 20 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := tempo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitSearchable polls until a search of the first and the last hour of the
// week finds traces: pushed spans are searchable by time only once their
// block is flushed and the blocklist polled.
func waitSearchable(t *testing.T, s *tempotest.Server, w week, tenant string) {
	t.Helper()
	deadline := time.Now().Add(150 * time.Second)
	for _, from := range []time.Time{w.start, w.end.Add(-2 * time.Hour)} {
		for {
			c := client(t, s, week{start: from, end: from.Add(time.Hour)}, func(c *tempo.Config) {
				c.Tenant, c.LimitPerWindow, c.Retries = tenant, 1, 0
			})
			err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pushed traces not searchable after 150s: %v\n%s", err, s.Log())
			}
			time.Sleep(2 * time.Second)
		}
	}
}

// pull reads the client's traces into a graph, counting traces per 24 hours
// from since.
func pull(t *testing.T, c *tempo.Client, since time.Time) (*topology.Graph, map[int]int) {
	t.Helper()
	b := topology.NewBuilder(topology.Options{})
	perDay := map[int]int{}
	err := c.Stream(context.Background(), func(batch topology.Batch) error {
		perDay[int(firstSpan(batch.Traces).Sub(since)/(24*time.Hour))]++
		b.Add(batch)
		return nil
	})
	if err != nil {
		t.Fatalf("pull: %v (%s)", err, c.Coverage)
	}
	return b.Finish(), perDay
}

func firstSpan(td ptrace.Traces) time.Time {
	var min uint64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if s := uint64(spans.At(k).StartTimestamp()); min == 0 || s < min {
					min = s
				}
			}
		}
	}
	return time.Unix(0, int64(min)).UTC()
}

// TestPullFromTempo loads the demo week into a real Tempo and reads it back.
func TestPullFromTempo(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{})
	w := demoWeek(t, 7)
	s.Push(t, w.traces, "")
	waitSearchable(t, s, w, "")

	t.Run("the graph from Tempo equals the graph from the same files", func(t *testing.T) {
		c := client(t, s, w, nil)
		got, _ := pull(t, c, w.start)
		want := w.fileGraph(t)
		if c.Coverage.Partial() || c.Coverage.TracesFetched != int(want.Traces) {
			t.Errorf("coverage %s; the files hold %d traces", c.Coverage, want.Traces)
		}
		compareGraphs(t, got, want)
	})

	t.Run("a week with more traces than one search returns is covered evenly", func(t *testing.T) {
		c := client(t, s, w, func(c *tempo.Config) { c.LimitPerWindow = 4 })
		_, perDay := pull(t, c, w.start)
		days := make([]int, 0, len(perDay))
		for d := range perDay {
			days = append(days, d)
		}
		sort.Ints(days)
		var counts []string
		min, max := 1<<30, 0
		for _, d := range days {
			counts = append(counts, fmt.Sprintf("day %d: %d", d+1, perDay[d]))
			min, max = minInt(min, perDay[d]), maxInt(max, perDay[d])
		}
		t.Logf("fetched per day (limit 4 per hour window): %s", strings.Join(counts, ", "))
		if c.Coverage.TracesFetched >= len(w.traceIDs()) {
			t.Errorf("fetched %d of %d traces: the limit did not bite", c.Coverage.TracesFetched, len(w.traceIDs()))
		}
		if len(days) != 7 || min < 88 || max > 96 {
			t.Errorf("uneven coverage: %v (want 7 days, each 88-96: 24 windows × up to 4)", counts)
		}
	})
}

func (w week) traceIDs() map[string]bool {
	ids := map[string]bool{}
	rss := w.traces.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				ids[spans.At(k).TraceID().String()] = true
			}
		}
	}
	return ids
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func compareGraphs(t *testing.T, got, want *topology.Graph) {
	t.Helper()
	if got.Spans != want.Spans || got.Traces != want.Traces || len(got.Nodes) != len(want.Nodes) || len(got.Edges) != len(want.Edges) {
		t.Fatalf("got %d spans, %d traces, %d nodes, %d edges; want %d, %d, %d, %d", got.Spans, got.Traces,
			len(got.Nodes), len(got.Edges), want.Spans, want.Traces, len(want.Nodes), len(want.Edges))
	}
	for i := range want.Nodes {
		g, w := got.Nodes[i], want.Nodes[i]
		if g.Name != w.Name || g.Kind != w.Kind || g.Stats != w.Stats || len(g.Operations) != len(w.Operations) {
			t.Errorf("node %d: got %s %s %+v, want %s %s %+v", i, g.Name, g.Kind, g.Stats, w.Name, w.Kind, w.Stats)
		}
	}
	for i := range want.Edges {
		if !reflect.DeepEqual(got.Edges[i], want.Edges[i]) {
			t.Errorf("edge %d: got %+v, want %+v", i, got.Edges[i], want.Edges[i])
		}
	}
}

// TestTenants runs a multi-tenant Tempo: the right tenant reads its data,
// no tenant is refused with a hint, and another tenant has nothing.
func TestTenants(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{MultiTenant: true})
	w := demoWeek(t, 1)
	s.Push(t, w.traces, "team-a")
	waitSearchable(t, s, w, "team-a")

	c := client(t, s, w, func(c *tempo.Config) { c.Tenant = "team-a" })
	got, _ := pull(t, c, w.start)
	compareGraphs(t, got, w.fileGraph(t))

	cases := []struct {
		name, tenant, want string
	}{
		{"without the tenant header Tempo refuses, and the error says --tenant", "", "--tenant"},
		{"a wrong tenant finds nothing, and the error says so", "team-b", "no traces fetched"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := client(t, s, w, func(c *tempo.Config) { c.Tenant = tc.tenant })
			err := c.Stream(context.Background(), func(topology.Batch) error { return nil })
			var se *tempo.SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a SourceError mentioning %q", err, tc.want)
			}
		})
	}
}

// TestTempoStoppedMidPull stops Tempo while traces are being fetched.
func TestTempoStoppedMidPull(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{})
	w := demoWeek(t, 1)
	s.Push(t, w.traces, "")
	waitSearchable(t, s, w, "")
	c := client(t, s, w, func(c *tempo.Config) { c.Concurrency = 1 })
	n := 0
	err := c.Stream(context.Background(), func(topology.Batch) error {
		if n++; n == 20 {
			s.Stop()
		}
		return nil
	})
	var se *tempo.SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "cannot reach Tempo") {
		t.Errorf("err = %v, want a SourceError saying Tempo cannot be reached", err)
	}
	if c.Coverage.TracesFetched < 20 {
		t.Errorf("coverage %s: the traces fetched before the stop are not counted", c.Coverage)
	}
}

func TestUnreachableTempo(t *testing.T) {
	start := time.Now()
	c, err := tempo.New(tempo.Config{GRPCAddr: "127.0.0.1:1", HTTPURL: "http://127.0.0.1:1",
		RetryBase: 10 * time.Millisecond, Retries: 2, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Stream(context.Background(), func(topology.Batch) error { return nil })
	var se *tempo.SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "cannot reach Tempo") {
		t.Errorf("err = %v, want a SourceError saying Tempo cannot be reached", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("giving up took %s", time.Since(start))
	}
}
