package incident

import (
	"testing"
	"time"
)

func TestDeviationDatesAnIncidentByTheMinutesThatHadTraffic(t *testing.T) {
	const quiet = -1 // a minute without traffic
	t0 := time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)
	cases := []struct {
		name                   string
		sev                    []float64
		first, peak, recovered int // minutes after t0; recovered -1 for none
	}{
		{"a clean minute after the last bad one is the recovery", []float64{0, 2, 3, 0, 0}, 1, 2, 3},
		{"quiet minutes after the last bad one are not a recovery", []float64{0, 2, 3, quiet, quiet, 0}, 1, 2, 5},
		{"an incident still bad when the traffic stops has not recovered", []float64{0, 2, 3, quiet}, 1, 2, -1},
		{"bad minutes either side of a quiet one are consecutive", []float64{0, 2, quiet, 3, 0}, 1, 3, 4},
		{"a lone bad minute is noise", []float64{0, 2, 0, 0}, -1, -1, -1},
	}
	for _, c := range cases {
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
		sev := func(i int) (float64, bool) { return max(c.sev[i], 0), c.sev[i] != quiet }
		first, peak, rec, ok := deviation(len(c.sev), sev, at)
		minute := func(x time.Time) int {
			if x.IsZero() {
				return -1
			}
			return int(x.Sub(t0) / time.Minute)
		}
		if minute(first) != c.first || minute(peak) != c.peak || minute(rec) != c.recovered || ok != (c.recovered >= 0) {
			t.Errorf("%s: first %d, peak %d, recovery %d (%v)", c.name, minute(first), minute(peak), minute(rec), ok)
		}
	}
}
