package alerts

import (
	"testing"
	"time"

	"github.com/rbgen/rbgen/topology"
)

func TestTheRecorderCoarsensPastItsCapAndKeepsEveryCall(t *testing.T) {
	defer func(old int) { maxCells = old }(maxCells)
	maxCells = 100
	d, _ := NamedDialect(DialectTempo)
	r := NewRecorder(d)
	start := uint64(time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC).UnixNano())
	const calls = 1000
	for i := 0; i < calls; i++ { // one call a minute for 1000 minutes
		end := start + uint64(i)*uint64(time.Minute)
		r.add(seriesKey{"svc", "SPAN_KIND_SERVER"}, &topology.Span{Start: end - 5e6, End: end, Failed: i%10 == 0}, d.Buckets)
	}
	s := r.Service("svc", []string{"SPAN_KIND_SERVER"})
	var got, failed uint32
	for _, c := range s.Cells {
		got += c.Calls
		failed += c.Errors
	}
	if got != calls || failed != calls/10 {
		t.Errorf("kept %d calls and %d failures, want %d and %d", got, failed, calls, calls/10)
	}
	if len(s.Cells) > maxCells || r.Step() < 16*time.Minute {
		t.Errorf("%d cells at a %s step, want at most %d cells", len(s.Cells), r.Step(), maxCells)
	}
}

func TestSeriesFollowTheGraphsMerges(t *testing.T) {
	d, _ := NamedDialect(DialectTempo)
	r := NewRecorder(d)
	start := uint64(time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC).UnixNano())
	for i, name := range []string{"10.42.14.1", "10.42.16.1", "10.42.16.1"} {
		end := start + uint64(i)*uint64(time.Minute)
		r.add(seriesKey{name, "peer"}, &topology.Span{Start: end - 5e6, End: end}, d.GraphBuckets)
	}
	r.UseNames(&topology.Graph{Merged: []topology.Merge{
		{From: "10.42.14.1", Into: "10.42.0.0/16", Reason: topology.MergeSubnet},
		{From: "10.42.16.1", Into: "10.42.0.0/16", Reason: topology.MergeSubnet}}})
	var calls uint32
	for _, c := range r.Peer("10.42.0.0/16").Cells {
		calls += c.Calls
	}
	if calls != 3 || len(r.Peer("10.42.14.1").Cells) != 0 {
		t.Errorf("the subnet's series holds %d calls, want 3", calls)
	}
}
