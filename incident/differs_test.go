package incident_test

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"

	"testing"

	"github.com/rbgen/rbgen/demo"
)

func TestWhatDiffersNamesTheOneBadPod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault demo.Fault
		slow  bool
	}{
		{"its requests fail", demo.Fault{ErrorRate: 1}, false},
		{"its requests are slow", demo.Fault{Latency: 400 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			f.Node, f.Start, f.End, f.OnePod = "checkout", faultStart, faultEnd, true
			a, _ := analyzeFault(t, f, faultStart, faultEnd)
			got, ok := a.ProbableTrigger()
			if !ok || got.Service != "checkout" || got.Key != "k8s.pod.name" || got.Value != "checkout-7c9f8d6b5-b4d9s" || got.Slow != tc.slow {
				t.Errorf("probable trigger %+v (%v); findings %+v", got, ok, a.Differs)
			}
			if got.BadShare < 0.9 || got.GoodShare > 0.3 || !got.NewInWindow {
				t.Errorf("the pod's shares: %+v", got)
			}
		})
	}
}

func TestAFaultOnEveryRequestHasNoProbableTrigger(t *testing.T) {
	a, _ := analyzeFault(t, demo.Fault{Node: "checkout", Start: faultStart, End: faultEnd, ErrorRate: 1}, faultStart, faultEnd)
	if f, ok := a.ProbableTrigger(); ok {
		t.Errorf("probable trigger %+v for a fault every request has", f)
	}
}

// TestASpanAttributeCanBeTheTrigger fails one tenant's requests: api's
// failing requests all carry span attribute app.tenant=acme.
func TestASpanAttributeCanBeTheTrigger(t *testing.T) {
	epoch := time.Unix(0, spantest.EpochNS).UTC()
	var spans []spantest.Span
	tenants := []string{"acme", "globex", "initech", "umbrella"}
	for i := 0; i < 400; i++ {
		tenant := tenants[i%4]
		status := ptrace.StatusCodeUnset
		at := float64(i) * 9000 // 400 requests over an hour, every 9 s
		if at >= 1800_000 && tenant == "acme" {
			status = ptrace.StatusCodeError // the second half hour: acme fails
		}
		spans = append(spans, spantest.Span{Trace: fmt.Sprintf("t%d", i), ID: "s", Svc: "api", Name: "GET /orders", Kind: ptrace.SpanKindServer,
			Start: at, Dur: 5, Status: status, Attrs: map[string]any{"app.tenant": tenant, "http.route": "/orders", "http.request.method": "GET"}})
	}
	start := epoch.Add(30 * time.Minute)
	ib := incident.NewBuilder(topology.Options{}, &[2]time.Time{epoch, start}, &[2]time.Time{start, epoch.Add(time.Hour)})
	ib.Add(topology.Batch{Traces: spantest.Batch(spans...), Whole: true})
	ib.Finish()
	a, err := incident.Analyze(ib.Baseline, ib.Window, start, epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := a.ProbableTrigger()
	if !ok || f.Key != "span.app.tenant" || f.Value != "acme" || f.Service != "api" {
		t.Errorf("probable trigger %+v (%v); findings %+v", f, ok, a.Differs)
	}
}
