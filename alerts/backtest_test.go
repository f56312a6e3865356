package alerts

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)

// minutes makes a one-minute series from per-minute (calls, errors) from t0.
func minutes(pairs ...[2]float64) Series {
	s := Series{Step: time.Minute}
	for i, p := range pairs {
		if p[0] == 0 {
			continue
		}
		s.Cells = append(s.Cells, Cell{At: t0.Unix()/60 + int64(i), Calls: uint32(p[0]), Errors: uint32(p[1]), Hist: []uint32{uint32(p[0]), 0}})
	}
	return s
}

func repeat(n int, p [2]float64) [][2]float64 {
	out := make([][2]float64, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func TestEvaluate(t *testing.T) {
	errs := func(above float64, minCalls, minBad int, hold time.Duration) Condition {
		return Single(Clause{Measure: ErrorRatio, Window: 5 * time.Minute, Above: above, MinCalls: minCalls, MinBad: minBad}, hold)
	}
	quiet := repeat(30, [2]float64{10, 0})
	burst := append(append(repeat(30, [2]float64{10, 0}), repeat(20, [2]float64{10, 6})...), repeat(30, [2]float64{10, 0})...)
	tests := []struct {
		name   string
		cond   Condition
		series Series
		to     time.Duration
		want   []Firing
	}{
		{"a healthy series never fires", errs(0.05, 1, 1, 10*time.Minute), minutes(quiet...), time.Hour, nil},
		{"a burst fires once it has held for `for`, and clears when the window no longer sees it",
			errs(0.05, 1, 1, 10*time.Minute), minutes(burst...), 2 * time.Hour,
			[]Firing{{Start: t0.Add(41 * time.Minute), End: t0.Add(55 * time.Minute)}}},
		{"a burst shorter than `for` does not fire", errs(0.05, 1, 1, 30*time.Minute), minutes(burst...), 2 * time.Hour, nil},
		{"one failure among few calls is held back by the bad-call guard",
			errs(0.05, 1, 2, 0), minutes(append(repeat(10, [2]float64{1, 0}), [2]float64{1, 1})...), time.Hour, nil},
		{"a quiet window is held back by the traffic guard",
			errs(0.05, 20, 1, 0), minutes(repeat(10, [2]float64{1, 1})...), time.Hour, nil},
		{"a firing still on at the end ends there", errs(0.05, 1, 1, 0), minutes(repeat(10, [2]float64{1, 1})...), 8 * time.Minute,
			[]Firing{{Start: t0.Add(time.Minute), End: t0.Add(8 * time.Minute), Open: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.cond, tt.series, []float64{1}, t0, t0.Add(tt.to))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tt.want[i].Start) || !got[i].End.Equal(tt.want[i].End) || got[i].Open != tt.want[i].Open {
					t.Errorf("firing %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestHistogramQuantileInterpolatesAsPrometheusDoes(t *testing.T) {
	bounds := []float64{0.1, 0.2, 0.4}
	tests := []struct {
		name   string
		counts []float64
		q      float64
		want   float64
	}{
		{"inside the first bucket it interpolates from zero", []float64{10, 0, 0, 0}, 0.5, 0.05},
		{"inside a later bucket it interpolates from that bucket's lower bound", []float64{5, 5, 0, 0}, 0.75, 0.15},
		{"in the +Inf bucket it is the highest finite bound", []float64{1, 0, 0, 99}, 0.99, 0.4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HistogramQuantile(tt.q, bounds, tt.counts); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %g, want %g", got, tt.want)
			}
		})
	}
}

func TestLatencyConditionsReadTheBuckets(t *testing.T) {
	bounds := []float64{0.1, 0.2, 0.4}
	slow := Series{Step: time.Minute}
	for i := 0; i < 10; i++ {
		slow.Cells = append(slow.Cells, Cell{At: t0.Unix()/60 + int64(i), Calls: 10, Hist: []uint32{5, 0, 5, 0}})
	}
	p99 := Single(Clause{Measure: Quantile, Q: 0.99, Window: 5 * time.Minute, Above: 0.2, MinBad: 3}, 0)
	if got := Evaluate(p99, slow, bounds, t0, t0.Add(10*time.Minute)); len(got) != 1 {
		t.Errorf("p99 of half-slow calls above 200ms: got %v, want one firing", got)
	}
	ratio := Single(Clause{Measure: SlowRatio, Bound: 0.2, Window: 5 * time.Minute, Above: 0.6}, 0)
	if got := Evaluate(ratio, slow, bounds, t0, t0.Add(10*time.Minute)); len(got) != 0 {
		t.Errorf("half the calls slow is not above 60%%: got %v", got)
	}
}

func TestThresholdsMoveUpToABucketBound(t *testing.T) {
	b := []float64{0.1, 0.2, 0.4, 0.8}
	for _, tt := range []struct {
		name  string
		in    float64
		want  float64
		moved bool
	}{
		{"a bound stays", 0.2, 0.2, false},
		{"between bounds goes up to the next", 0.25, 0.4, true},
		{"above the bound a quantile can exceed is that bound", 5, 0.4, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, moved := RoundUpToBucket(tt.in, b)
			if got != tt.want || moved != tt.moved {
				t.Errorf("RoundUpToBucket(%g) = %g, %v; want %g, %v", tt.in, got, moved, tt.want, tt.moved)
			}
		})
	}
}

func TestDialectsNameTheirOwnSeries(t *testing.T) {
	tempo, _ := NamedDialect(DialectTempo)
	otel, _ := NamedDialect(DialectOTel)
	for _, tt := range []struct {
		name string
		got  string
		want string
	}{
		{"Tempo's span metrics select by service", tempo.Service("a\"{{b}}", []string{"SPAN_KIND_SERVER"}).Selector,
			`service="a\"\u007b\u007bb\u007d\u007d", span_kind="SPAN_KIND_SERVER"`},
		{"the Collector's select by service_name", otel.Service("cart", []string{"SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER"}).Selector,
			`service_name="cart", span_kind=~"SPAN_KIND_CONSUMER|SPAN_KIND_SERVER"`},
		{"the Collector's histogram is in milliseconds", otel.Service("cart", nil).Bucket, "traces_span_metrics_duration_milliseconds_bucket"},
		{"a millisecond bound is written as the le label holds it", LE(otel.Buckets[11], otel.Unit), "1400"},
		{"a second bound too", LE(tempo.Buckets[7], tempo.Unit), "0.256"},
		{"peers are the service graph's servers", tempo.Peer("redis").Selector, `server="redis"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func TestDurationsAreWrittenAsPrometheusReadsThem(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %s, want %s", d, got, want)
		}
	}
}
