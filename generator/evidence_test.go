package generator

import (
	"fmt"
	"testing"

	"github.com/rbgen/rbgen/incident"
)

func TestEvidenceIsWordedWithOneDurationFormat(t *testing.T) {
	cases := []struct {
		name string
		e    incident.Evidence
		want string
	}{
		{"own time says milliseconds as every table does",
			incident.Evidence{Kind: incident.EvidenceSelfTime, Operation: "GET /stock", Window: 21.978, Baseline: 4.437, Unit: incident.UnitMS},
			"its own work in GET /stock took a median 22ms per call (baseline 4.44ms)"},
		{"wire time below a millisecond is in microseconds",
			incident.Evidence{Kind: incident.EvidenceWireTime, Caller: "web", Window: 0.5, Baseline: 0.25, Unit: incident.UnitMS},
			"calls from web spent a median 500µs on the wire (baseline 250µs)"},
		{"added time over a second is in seconds",
			incident.Evidence{Kind: incident.EvidenceAddedTime, Window: 1500, Unit: incident.UnitMS},
			"in all, its own work and the wire time of calls to it added 1.5s per traced request"},
		{"own errors are counted per traced request",
			incident.Evidence{Kind: incident.EvidenceOwnErrors, Count: 32, Window: 0.0753, Baseline: 0.002, Unit: incident.UnitPerRequest},
			"it raised 32 errors of its own (0.0753 per traced request, baseline 0.002), with no failing call below them"},
		{"a request that ends after a call says which",
			incident.Evidence{Kind: incident.EvidenceStep, Operation: "POST /checkout", Step: incident.Step{Prev: "→ stock: GET /stock", Next: incident.StepEnd}, Window: 0.66},
			"POST /checkout requests ended right after a call to stock (GET /stock) in 66% of cases (baseline 0%)"},
		{"a step run more often says how many times",
			incident.Evidence{Kind: incident.EvidenceRepeats, Operation: "POST /checkout", Step: incident.Step{Next: "→ stock: GET /stock"}, Window: 3, Baseline: 1},
			"POST /checkout requests ran a call to stock (GET /stock) 3 times each (baseline 1)"},
	}
	for _, c := range cases {
		if got := EvidenceSentence(c.e); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// BenchmarkRegistryAssign numbers n new runbook keys: time per key must
// stay flat as n grows tenfold (it once checked every registered file).
func BenchmarkRegistryAssign(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				r := &registry{Version: 1, Next: 1, IDs: map[string]registryEntry{}}
				for i := 0; i < n; i++ {
					node := fmt.Sprintf("service-%d", i)
					r.assign(RunbookKey(node, SymptomErrors), node, SymptomErrors)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}
