package incident

import (
	"math"
	"testing"
)

func TestExcessWeighsSmallCountsExactly(t *testing.T) {
	cases := []struct {
		name               string
		observed, expected float64
		atLeast, atMost    float64
	}{
		{"two errors where almost none are expected are strong evidence", 2, 0.02, 3, 37},
		{"one error where one is expected is none", 1, 1, 0, 0.5},
		{"a count as expected is none", 50, 50, 0, 0.1},
		{"calls that vanish are evidence too", 0, 20, 5, 37},
		{"large counts follow the normal law", 1100, 1000, 3, 3.4},
	}
	for _, c := range cases {
		z := excess(c.observed, c.expected)
		if z < c.atLeast || z > c.atMost || math.IsNaN(z) {
			t.Errorf("%s: excess(%v, %v) = %.2f, want %.1f–%.1f", c.name, c.observed, c.expected, z, c.atLeast, c.atMost)
		}
	}
}

func TestOneDelaySeenTwiceCountsOnce(t *testing.T) {
	per := map[string]*scores{
		"checkout": {lat: 56, selfShift: 586}, // its call span has no traced server span under it
		"currency": {lat: 51, wireShift: 589}, // calls into it wait on the wire
		"catalog":  {lat: 20, selfShift: 1.2}, // unrelated drift
	}
	explainSameDelay(per)
	if per["checkout"].lat >= per["currency"].lat {
		t.Errorf("checkout %.1f still outranks currency %.1f", per["checkout"].lat, per["currency"].lat)
	}
	if per["catalog"].lat != 20 {
		t.Errorf("an unrelated shift was discounted: %.1f", per["catalog"].lat)
	}
}
