package tempo_test

import (
	"bytes"
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/internal/tempotest"
	"github.com/rbgen/rbgen/tempo"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// BenchmarkTempo measures a pull at the default settings (1 h windows, 20
// traces each) from a local Tempo holding a week of about 50,000 demo
// traces, over a day and over the week, with the peak heap above the
// start of the pull: it must not grow with the traces. Then the TraceQL
// metrics of 36 services (the shop three times over, under prefixes).
// Run by make bench; it starts Tempo and pushes the week first.
func BenchmarkTempo(b *testing.B) {
	s := tempotest.Start(b, tempotest.Options{Metrics: true})
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-7 * 24 * time.Hour)
	var week bytes.Buffer
	st, err := demo.Write(&week, demo.Config{Start: start, PeakPerHour: 490})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("pushing %d traces, %d spans", st.Traces, st.Spans)
	pushFile(b, s, week.Bytes(), "")
	var day bytes.Buffer
	if _, err := demo.Write(&day, demo.Config{Start: end.Add(-24 * time.Hour), Days: 1}); err != nil {
		b.Fatal(err)
	}
	for i, prefix := range []string{"east-", "west-"} {
		pushFile(b, s, renamed(b, day.Bytes(), prefix, byte(i+1)), "")
	}
	time.Sleep(45 * time.Second) // the last blocks flushed, by the ingester and the generator

	newClient := func(b *testing.B, lookback time.Duration) *tempo.Client {
		c, err := tempo.New(tempo.Config{GRPCAddr: s.GRPCAddr, HTTPURL: s.HTTPURL, End: end.Add(time.Hour), Lookback: lookback})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	for _, bc := range []struct {
		name     string
		lookback time.Duration
	}{{"pull/day", 24 * time.Hour}, {"pull/week", 7 * 24 * time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			var traces int64
			var peak uint64
			for i := 0; i < b.N; i++ {
				c := newClient(b, bc.lookback)
				stop := watchHeap(&peak)
				g, err := topology.Build(context.Background(), c, topology.Options{})
				stop()
				if err != nil {
					b.Fatal(err)
				}
				traces += g.Traces
			}
			b.ReportMetric(float64(traces)/b.Elapsed().Seconds(), "traces/s")
			b.ReportMetric(float64(traces)/float64(b.N), "traces/pull")
			b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
		})
	}
	b.Run("metrics/36-services", func(b *testing.B) {
		c := newClient(b, 7*24*time.Hour)
		var services []string
		for _, p := range []string{"", "east-", "west-"} {
			for _, n := range []string{"ad", "auth", "cart", "checkout", "currency", "email", "frontend", "fulfillment", "payment", "product-catalog", "recommendation", "shipping"} {
				services = append(services, p+n)
			}
		}
		for i := 0; i < b.N; i++ {
			m, err := c.Measure(context.Background(), services)
			if err != nil {
				b.Fatal(err)
			}
			if len(m.Served["east-frontend"]) == 0 {
				b.Fatal("no numbers for east-frontend")
			}
		}
		b.ReportMetric(float64(6*len(services)), "queries/op")
	})
}

// watchHeap samples the live heap every 10 ms until stopped, keeping the
// peak above the heap at the start.
func watchHeap(peak *uint64) (stop func()) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for !done.Load() {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > *peak {
				*peak = m.HeapAlloc - base
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); <-finished }
}

// pushFile pushes OTLP JSON lines in pieces of about 20,000 spans.
func pushFile(b *testing.B, s *tempotest.Server, raw []byte, tenant string) {
	part := ptrace.NewTraces()
	err := (&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(raw), Reference: true}).Stream(context.Background(), func(bt topology.Batch) error {
		bt.Traces.ResourceSpans().MoveAndAppendTo(part.ResourceSpans())
		if part.SpanCount() > 20000 {
			s.Push(b, part, tenant)
			part = ptrace.NewTraces()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s.Push(b, part, tenant)
}

// renamed is raw with every service.name prefixed and every trace ID
// changed in its first byte: the same shop again, as other services.
func renamed(b *testing.B, raw []byte, prefix string, mark byte) []byte {
	var out bytes.Buffer
	m := &ptrace.JSONMarshaler{}
	err := (&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(raw), Reference: true}).Stream(context.Background(), func(bt topology.Batch) error {
		rss := bt.Traces.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			attrs := rss.At(i).Resource().Attributes()
			if v, ok := attrs.Get("service.name"); ok {
				attrs.PutStr("service.name", prefix+v.Str())
			}
			for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
				spans := rss.At(i).ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					id := spans.At(k).TraceID()
					id[0] ^= mark
					spans.At(k).SetTraceID(id)
				}
			}
		}
		line, err := m.MarshalTraces(bt.Traces)
		if err != nil {
			return err
		}
		out.Write(line)
		out.WriteByte('\n')
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}
