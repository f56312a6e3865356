package incident_test

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

var epoch = time.Unix(0, spantest.EpochNS).UTC()

type sp = spantest.Span

func batch(spans ...sp) ptrace.Traces { return spantest.Batch(spans...) }

// shop is one request to the web service's checkout: it reads the cart
// locally, asks stock, then charges pay; how it goes is up to the options.
type shop struct {
	stopAfterStock bool    // returns right after stock answers
	errorPage      bool    // gives up at once through an error handler
	stockCalls     int     // times it asks stock (once when 0)
	stockSelf      float64 // stock's own work, ms
	webSelf        float64 // web's own work before its calls, ms
	stockWire      float64 // extra time each call to stock spends on the wire, ms
}

func (o shop) spans(trace string, at float64) []sp {
	server := ptrace.SpanKindServer
	client := ptrace.SpanKindClient
	web := sp{Trace: trace, ID: trace + "w", Svc: "web", Name: "POST /checkout", Kind: server, Start: at, Dur: 3}
	if o.errorPage {
		return []sp{web, {Trace: trace, ID: trace + "e", Parent: web.ID, Svc: "web", Name: "ErrorController.error", Start: at + 1, Dur: 1}}
	}
	t := at + o.webSelf
	out := []sp{web, {Trace: trace, ID: trace + "r", Parent: web.ID, Svc: "web", Name: "CartRepository.find", Start: at + 0.5, Dur: 0.5}}
	for i := 0; i < max(o.stockCalls, 1); i++ {
		c := fmt.Sprintf("%s%c", trace, 'a'+i) // span IDs keep 8 bytes
		out = append(out,
			sp{Trace: trace, ID: c, Parent: web.ID, Svc: "web", Name: "GET stock", Kind: client, Start: t, Dur: o.stockSelf + 2 + o.stockWire},
			sp{Trace: trace, ID: c + "s", Parent: c, Svc: "stock", Name: "GET /stock", Kind: server, Start: t + 1 + o.stockWire/2, Dur: o.stockSelf})
		t += o.stockSelf + 3 + o.stockWire
	}
	out[0].Dur = t - at + 1
	if o.stopAfterStock {
		return out
	}
	out[0].Dur += 13
	return append(out,
		sp{Trace: trace, ID: trace + "c2", Parent: web.ID, Svc: "web", Name: "POST pay", Kind: client, Start: t, Dur: 12},
		sp{Trace: trace, ID: trace + "p", Parent: trace + "c2", Svc: "pay", Name: "POST /charge", Kind: server, Start: t + 1, Dur: 10})
}

// analyzeShop profiles an hour of baseline requests and five minutes of
// window requests, each made by its function from the request's number.
func analyzeShop(t *testing.T, base, win int, baseReq, winReq func(i int) shop) *incident.Analysis {
	t.Helper()
	ib := incident.NewBuilder(topology.Options{},
		&[2]time.Time{epoch, epoch.Add(time.Hour)}, &[2]time.Time{epoch.Add(time.Hour), epoch.Add(time.Hour + 5*time.Minute)})
	for i := 0; i < base; i++ {
		at := float64(i) * float64(time.Hour/time.Millisecond) / float64(base)
		ib.Add(topology.Batch{Traces: batch(baseReq(i).spans(fmt.Sprintf("b%d", i), at)...), Whole: true})
	}
	for i := 0; i < win; i++ {
		at := float64(time.Hour/time.Millisecond) + float64(i)*float64(5*time.Minute/time.Millisecond)/float64(win)
		ib.Add(topology.Batch{Traces: batch(winReq(i).spans(fmt.Sprintf("w%d", i), at)...), Whole: true})
	}
	ib.Finish()
	a, err := incident.Analyze(ib.Baseline, ib.Window, epoch.Add(time.Hour), epoch.Add(time.Hour+5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// normal varies the timings a little, as real requests do.
func normal(i int) shop {
	return shop{stockSelf: 4 + float64(i%5)*0.2, webSelf: 3 + float64(i%7)*0.1}
}

func TestWhatRequestsDo(t *testing.T) {
	cases := []struct {
		name      string
		base, win func(i int) shop
		first     string // "" for no suspect at all
		kind      string
		evidence  incident.Evidence // window and baseline to two places
	}{
		{
			name: "a handler that returns early after a call it used to go on from is the suspect",
			base: normal,
			win: func(i int) shop {
				s := normal(i)
				s.stopAfterStock = i%3 != 0
				return s
			},
			first: "web", kind: incident.KindBehaviour, evidence: incident.Evidence{Kind: incident.EvidenceStep, Operation: "POST /checkout",
				Step: incident.Step{Prev: "→ stock: GET /stock", Next: incident.StepEnd}, Window: 0.66, Unit: incident.UnitShare},
		},
		{
			name: "an error handler that starts running is the suspect's evidence",
			base: normal,
			win: func(i int) shop {
				s := normal(i)
				s.errorPage = i%4 == 0
				return s
			},
			first: "web", kind: incident.KindBehaviour, evidence: incident.Evidence{Kind: incident.EvidenceStep, Operation: "POST /checkout",
				Step: incident.Step{Next: "ErrorController.error"}, Window: 0.25, Unit: incident.UnitShare},
		},
		{
			name: "a caller that asks three times instead of once is the suspect",
			base: normal,
			win: func(i int) shop {
				s := normal(i)
				s.stockCalls = 3
				return s
			},
			first: "web", kind: incident.KindBehaviour, evidence: incident.Evidence{Kind: incident.EvidenceRepeats, Operation: "POST /checkout",
				Step: incident.Step{Next: "→ stock: GET /stock"}, Window: 3, Baseline: 1, Unit: incident.UnitRuns},
		},
		{
			name: "failures that were in the baseline and are gone blame nobody",
			base: func(i int) shop {
				s := normal(i)
				s.errorPage = i%3 == 0
				return s
			},
			win: normal,
		},
		{
			name: "the same requests as usual blame nobody",
			base: normal,
			win:  normal,
		},
		{
			name: "a slower callee is a latency suspect, not a change of what its caller does",
			base: normal,
			win: func(i int) shop {
				s := normal(i)
				s.stockSelf *= 5
				return s
			},
			first: "stock", kind: incident.KindLatency,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := analyzeShop(t, 600, 200, c.base, c.win)
			if c.first == "" {
				if len(a.Suspects) > 0 {
					t.Fatalf("suspects %v, want none", a.Suspects)
				}
				return
			}
			if len(a.Suspects) == 0 {
				t.Fatal("no suspects")
			}
			top := a.Suspects[0]
			if top.Node != c.first || top.Kind != c.kind {
				t.Fatalf("suspect #1 %s (%s), want %s (%s); all: %+v", top.Node, top.Kind, c.first, c.kind, a.Suspects)
			}
			if c.evidence.Kind != "" && !hasEvidence(top.Evidence, c.evidence) {
				t.Errorf("evidence lacks %+v:\n%+v", c.evidence, top.Evidence)
			}
			if c.kind == incident.KindBehaviour {
				if len(top.Examples) == 0 {
					t.Error("no example traces")
				}
				for _, ex := range top.Examples {
					if !showsChange(ex, c.win) {
						t.Errorf("example %s is not a window trace that shows the change", ex)
					}
				}
			}
		})
	}
}

// showsChange says a trace ID is one of the window's (named "w<i>") and
// request i differs from a normal one.
func showsChange(id string, win func(i int) shop) bool {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) == 0 || raw[0] != 'w' {
		return false
	}
	i, err := strconv.Atoi(strings.TrimRight(string(raw[1:]), "\x00\x01"))
	return err == nil && win(i) != normal(i)
}

// A service whose work is very regular drifts by many of its own spreads
// with a small change; a service whose work took three times as long is
// the fault, however wide its spread.
func TestChangesRankBySizeOnceSignificant(t *testing.T) {
	base := func(i int) shop {
		return shop{stockSelf: 4 + float64(i%5)*4, webSelf: 10 + float64(i%3)*0.05}
	}
	a := analyzeShop(t, 600, 200, base, func(i int) shop {
		s := base(i)
		s.webSelf *= 1.5
		s.stockSelf *= 3
		return s
	})
	if len(a.Suspects) < 2 || a.Suspects[0].Node != "stock" || a.Suspects[1].Node != "web" {
		t.Fatalf("suspects %+v, want stock first, then web", a.Suspects)
	}
}

func TestABehaviourChangeIsDatedByTheMinutesThatShowIt(t *testing.T) {
	a := analyzeShop(t, 600, 200, normal, func(i int) shop {
		s := normal(i)
		s.stopAfterStock = i >= 80 // 40 requests a minute: from the third minute on
		return s
	})
	if len(a.Suspects) == 0 || a.Suspects[0].Node != "web" {
		t.Fatalf("suspects %+v, want web first", a.Suspects)
	}
	want := epoch.Add(time.Hour + 2*time.Minute)
	s := a.Suspects[0]
	if !s.FirstDeviation.Equal(want) || s.Recovered {
		t.Errorf("first deviation %s (recovered %v), want %s and not recovered", s.FirstDeviation, s.Recovered, want)
	}
	// Its series is the share of requests taking the changed step: none
	// before the change, all of them after.
	checked := 0
	for i, m := range a.Minutes {
		v := s.Series[i]
		if m.T.Before(epoch.Add(time.Hour)) || m.T.Equal(want.Add(-time.Minute)) || math.IsNaN(v) {
			continue
		}
		checked++
		if wantV := map[bool]float64{true: 100, false: s.SeriesBaseline}[!m.T.Before(want)]; math.Abs(v-wantV) > 1 {
			t.Errorf("%s at %s = %.3g, want %.3g", s.SeriesOf.Kind, m.T.Format("15:04"), v, wantV)
		}
	}
	if checked < 3 {
		t.Errorf("the series has %d minutes with traffic in the window", checked)
	}
}

// hasEvidence says one of got is want, its numbers to two places.
func hasEvidence(got []incident.Evidence, want incident.Evidence) bool {
	round := func(v float64) float64 { return math.Floor(v*100) / 100 }
	for _, e := range got {
		e.Window, e.Baseline = round(e.Window), round(e.Baseline)
		if e == want {
			return true
		}
	}
	return false
}
