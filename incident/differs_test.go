package incident_test

import (
	"time"

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
