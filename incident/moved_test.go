package incident_test

import (
	"slices"
	"testing"

	"github.com/rbgen/rbgen/incident"
)

func TestANetworkDelayMovesTheEdgeNotTheNodeBehindIt(t *testing.T) {
	a := analyzeShop(t, 600, 200, normal, func(i int) shop {
		s := normal(i)
		s.stockWire = 50
		return s
	})
	moved := map[string][]string{}
	for _, c := range a.Changes {
		moved[c.Kind+" "+c.Name] = c.Moved
	}
	if !slices.Contains(moved["edge web → stock"], incident.MovedP50) {
		t.Errorf("the edge did not move: %v", moved)
	}
	// The window is busier than the baseline (40 requests a minute, not
	// 10), so rate may move; latency must not.
	if m := moved["node stock"]; slices.Contains(m, incident.MovedP50) || slices.Contains(m, incident.MovedP99) {
		t.Errorf("stock's own requests moved %v, but only the wire to it slowed", m)
	}
}
