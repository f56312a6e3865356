package incident

import (
	"slices"
	"testing"
	"time"
)

// spread makes n calls of ms each, failed of them failing.
func spread(n, failed int, ms float64) traffic {
	t := newTraffic()
	t.Calls, t.Errors = int64(n), int64(failed)
	for i := 0; i < n; i++ {
		t.Latency.Add(ms)
	}
	return t
}

func TestWhatADashboardWouldShowMoving(t *testing.T) {
	// The baseline lasts 100 minutes, the window 10.
	cases := []struct {
		name  string
		b, w  traffic
		load  float64 // the window's traffic over the baseline's; 0 for the same
		moved []string
	}{
		{"the same traffic moves nothing", spread(1000, 10, 20), spread(100, 1, 20), 0, nil},
		{"errors ten times as often move errors", spread(1000, 10, 20), spread(100, 10, 20), 0, []string{MovedErrors}},
		{"two errors are too few to say", spread(1000, 0, 20), spread(100, 2, 20), 0, nil},
		{"a median twice as slow moves p50 and p99", spread(1000, 0, 20), spread(100, 0, 40), 0, []string{MovedP50, MovedP99}},
		{"half a millisecond slower is not slower", spread(1000, 0, 0.5), spread(100, 0, 1), 0, nil},
		{"a third of the usual rate moves rate", spread(3000, 0, 20), spread(90, 0, 20), 0, []string{MovedRate}},
		{"twice the usual rate is a busy hour, not a change", spread(1000, 0, 20), spread(200, 0, 20), 0, nil},
		{"traffic the baseline never had is new", newTraffic(), spread(10, 0, 20), 0, []string{MovedNew}},
		{"traffic that stopped is gone", spread(1000, 0, 20), newTraffic(), 0, []string{MovedGone}},
		{"a rare call missing from a short window is not gone", spread(50, 0, 20), newTraffic(), 0, nil},
		{"a third of the rate at night, when all traffic is a third, is no change", spread(3000, 0, 20), spread(100, 0, 20), 1.0 / 3, nil},
		{"the usual rate when all else is a third is a share three times as large", spread(1000, 0, 20), spread(100, 0, 20), 1.0 / 3, []string{MovedRate}},
	}
	for _, c := range cases {
		if c.load == 0 {
			c.load = 1
		}
		got := compare(ChangeNode, "x", c.b, c.w, watch{baseMinutes: 100, winMinutes: 10, load: c.load})
		if !slices.Equal(got.Moved, c.moved) || (len(c.moved) > 0) != (got.Size > 0) {
			t.Errorf("%s: moved %v (size %.3g), want %v", c.name, got.Moved, got.Size, c.moved)
		}
	}
}

func TestBaselineRatesCountOnlyTheMinutesThatWereWatched(t *testing.T) {
	day := time.Date(2023, 1, 29, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		minutes []int // minutes after day that held a trace
		want    float64
	}{
		{"two files a day apart were watched for two minutes", []int{8*60 + 50, 24*60 + 11*60 + 39}, 2},
		{"five quiet minutes between traces were watched", []int{0, 6}, 7},
		{"an hour without a trace was not", []int{0, 61}, 2},
		{"several traces in one minute count it once", []int{3, 3, 3}, 1},
	}
	for _, c := range cases {
		p := newProfile(day, day.AddDate(0, 0, 7), 0)
		for _, m := range c.minutes {
			p.active[day.Add(time.Duration(m)*time.Minute).Unix()/60] = struct{}{}
		}
		if got := p.observedMinutes(p.From, p.To); got != c.want {
			t.Errorf("%s: %v minutes, want %v", c.name, got, c.want)
		}
	}
}
