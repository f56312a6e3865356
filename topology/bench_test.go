package topology_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// BenchmarkDecodeAndBuild measures the whole path from a file to a graph:
// spans and MB per second and allocations per span, for OTLP JSON lines
// and length-prefixed OTLP protobuf, decoding on one worker and on every
// core, with the lean decoders and with pdata (the reference) alone.
func BenchmarkDecodeAndBuild(b *testing.B) {
	day := spantest.DemoDay(b)
	inputs := []struct {
		format string
		raw    []byte
	}{{"json", day}, {"protobuf", spantest.Protobuf(b, day)}}
	all := tracefile.Workers
	defer func() { tracefile.Workers = all }()
	for _, in := range inputs {
		for _, decoder := range []string{"lean", "pdata"} {
			for _, workers := range []int{1, all} {
				b.Run(fmt.Sprintf("format=%s/decoder=%s/workers=%d", in.format, decoder, workers), func(b *testing.B) {
					tracefile.Workers = workers
					decodeAndBuild(b, in.raw, decoder == "pdata")
				})
			}
		}
	}
}

func decodeAndBuild(b *testing.B, day []byte, reference bool) {
	b.SetBytes(int64(len(day)))
	b.ResetTimer()
	var spans int64
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		g, err := topology.Build(context.Background(),
			&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(day), Reference: reference}, topology.Options{})
		if err != nil {
			b.Fatal(err)
		}
		spans += g.Spans
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(spans), "allocs/span")
}

// BenchmarkPeakHeap streams a week and then ten weeks of the demo shop
// through decode and build, generated on the fly so the input itself is
// never in memory, and reports the largest live heap seen. The two numbers
// should be about the same: memory follows services and edges, not spans.
func BenchmarkPeakHeap(b *testing.B) {
	for _, days := range []int{7, 70} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				peak, spans := streamDemo(b, days)
				b.ReportMetric(float64(peak)/(1<<20), "peak-live-MB")
				b.ReportMetric(float64(spans), "spans")
			}
		})
	}
}

func streamDemo(b *testing.B, days int) (peak uint64, spans int64) {
	pr, pw := io.Pipe()
	go func() {
		_, err := demo.Write(pw, demo.Config{Days: days})
		pw.CloseWithError(err)
	}()
	// A forced collection before each sample measures what is really
	// live, not what the collector has not yet freed.
	live := func() uint64 {
		runtime.GC()
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	builder := topology.NewBuilder(topology.Options{})
	n := 0
	err := (&tracefile.Reader{Paths: []string{"-"}, Stdin: pr}).Stream(context.Background(), func(batch topology.Batch) error {
		builder.Add(batch)
		if n++; n%1000 == 0 {
			peak = max(peak, live())
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	g := builder.Finish()
	return max(peak, live()), g.Spans
}

// BenchmarkSharedSpanID folds one trace whose n client halves share a span
// ID, each with a server child: finding a child's parent must not walk the
// chain, so ns/span stays flat as n grows tenfold.
func BenchmarkSharedSpanID(b *testing.B) {
	for _, n := range []int{5_000, 50_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			spans := []sp{{Trace: "t", ID: "r", Svc: "web", Name: "GET /", Kind: server, Dur: 1}}
			for i := 0; i < n; i++ {
				svc := fmt.Sprintf("s%d", i%50)
				spans = append(spans,
					sp{Trace: "t", ID: "x", Parent: "r", Svc: "web", Name: "call", Kind: client, Dur: 1},
					sp{Trace: "t", ID: fmt.Sprintf("c%d", i), Parent: "x", Svc: svc, Name: "serve", Kind: server, Dur: 1})
			}
			td := batch(spans...)
			b.ResetTimer()
			for b.Loop() {
				bl := topology.NewBuilder(topology.Options{})
				bl.Add(topology.Batch{Traces: td, Whole: true})
				bl.Finish()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(spans)), "ns/span")
		})
	}
}
