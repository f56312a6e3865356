package incident_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// BenchmarkIncidentProfile is BenchmarkDecodeAndBuild with the baseline
// and window profiles a postmortem keeps (self times, wire times, handler
// shapes) on top of the graph.
func BenchmarkIncidentProfile(b *testing.B) {
	var day bytes.Buffer
	if _, err := demo.Write(&day, demo.Config{Days: 1}); err != nil {
		b.Fatal(err)
	}
	all := [2]time.Time{time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.SetBytes(int64(day.Len()))
	b.ResetTimer()
	var spans int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ib := incident.NewBuilder(topology.Options{}, &all, &all)
		err := (&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(day.Bytes())}).Stream(context.Background(),
			func(batch topology.Batch) error { ib.Add(batch); return nil })
		if err != nil {
			b.Fatal(err)
		}
		spans += ib.Finish().Spans
	}
	b.ReportMetric(float64(spans)/time.Since(start).Seconds(), "spans/s")
}
