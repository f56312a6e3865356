package generator_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/promtest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// faultWeek generates a demo week in which checkout fails 60% of its
// requests for 40 minutes on Thursday afternoon, and plans its runbooks
// with the backtest's series.
func faultWeek(t *testing.T, peak int) (*generator.Plan, *alerts.Recorder, demo.Fault) {
	t.Helper()
	cfg := &config.Config{}
	cfg.FillDefaults()
	return faultWeekWith(t, peak, cfg)
}

func faultWeekWith(t *testing.T, peak int, cfg *config.Config) (*generator.Plan, *alerts.Recorder, demo.Fault) {
	t.Helper()
	f := demo.Fault{Node: "checkout", ErrorRate: 0.6,
		Start: time.Date(2026, 11, 12, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 12, 14, 40, 0, 0, time.UTC)}
	buf := bytes.NewReader(demoWeek(t, peak, f))
	rec := alerts.NewRecorder(cfg.Alerts.Dialect())
	b := topology.NewBuilder(topology.Options{})
	b.Observe(rec.Observe)
	g, err := b.Read(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: buf})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := generator.LoadTemplates("")
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: t.TempDir(), Config: cfg, Templates: tmpl, Series: rec})
	if err != nil {
		t.Fatal(err)
	}
	return p, rec, f
}

var (
	demoWeeksMu sync.Mutex
	demoWeeks   = map[int][]byte{}
)

// demoWeek generates a demo week once per test binary and peak.
func demoWeek(t *testing.T, peak int, f demo.Fault) []byte {
	t.Helper()
	demoWeeksMu.Lock()
	defer demoWeeksMu.Unlock()
	if b, ok := demoWeeks[peak]; ok {
		return b
	}
	var buf bytes.Buffer
	if _, err := demo.Write(&buf, demo.Config{PeakPerHour: peak, Faults: []demo.Fault{f}}); err != nil {
		t.Fatal(err)
	}
	demoWeeks[peak] = buf.Bytes()
	return buf.Bytes()
}

// TestTheFaultedServicesAlertFiresInTheFaultAndNoneBefore runs the
// backtest on demo weeks at low and high traffic: checkout's error alert
// fires once, starting inside the fault window, and no alert of any node
// fires before the fault.
func TestTheFaultedServicesAlertFiresInTheFaultAndNoneBefore(t *testing.T) {
	for _, peak := range []int{200, 1000} {
		t.Run(fmt.Sprintf("peak %d traces an hour", peak), func(t *testing.T) {
			p, _, f := faultWeek(t, peak)
			var found bool
			for _, a := range p.Alerts {
				if a.Backtest == nil {
					t.Fatalf("%s has no backtest", a.Name)
				}
				for _, fr := range a.Backtest.Firings {
					if fr.Start.Before(f.Start) {
						t.Errorf("%s fires at %s, before the fault", a.Name, fr.Start)
					}
				}
				if a.Name != "CheckoutHighErrorRate" {
					continue
				}
				found = true
				fs := a.Backtest.Firings
				if len(fs) != 1 || fs[0].Start.After(f.End) {
					t.Errorf("checkout's error alert fires %v, want once starting in %s–%s", fs, f.Start, f.End)
				}
			}
			if !found {
				t.Fatal("no CheckoutHighErrorRate alert")
			}
		})
	}
}

// TestPromtoolAgreesWithTheBacktest feeds promtool the span metrics the
// fault week's traces imply, for the fault day, and the rules file rbgen
// wrote: every alert is silent through the quiet hours, and checkout's
// error alert fires where the backtest says it does and clears after.
func TestPromtoolAgreesWithTheBacktest(t *testing.T) {
	for _, peak := range []int{200, 1000} {
		t.Run(fmt.Sprintf("baseline thresholds at %d traces an hour", peak), func(t *testing.T) {
			p, rec, f := faultWeek(t, peak)
			promtoolAgrees(t, p, rec, f, "CheckoutHighErrorRate")
		})
	}
	t.Run("an availability objective's page alert", func(t *testing.T) {
		cfg := &config.Config{Objectives: map[string]config.Objective{"checkout": {Availability: 98,
			Latency: &config.LatencyObjective{ThresholdMS: 1000, Percent: 99}}}}
		cfg.FillDefaults()
		// At 200 traces an hour, checkout's 5m short window holds one
		// call; the burn-rate alert needs the traffic it was designed for.
		p, rec, f := faultWeekWith(t, 1000, cfg)
		if err := p.Apply(false); err != nil {
			t.Fatal(err)
		}
		if out := promtest.Run(t, p.Dir, "check", "rules", generator.AlertsFile); strings.Contains(strings.ToLower(out), "warn") {
			t.Errorf("promtool warns:\n%s", out)
		}
		rb, _ := os.ReadFile(filepath.Join(p.Dir, "RB-009-checkout-high-error-rate.md"))
		for _, want := range []string{"Objective (rbgen.yaml): 98% of calls succeed over 30 days", "bad calls a week",
			"| page | 1h and 5m | 14.4× | 28.8% | 2% of the budget |", "`rbgen:sli_errors:ratio_rate5m`"} {
			if !strings.Contains(string(rb), want) {
				t.Errorf("checkout's runbook lacks %q", want)
			}
		}
		lat, _ := os.ReadFile(filepath.Join(p.Dir, "RB-010-checkout-high-latency.md"))
		for _, want := range []string{"99% of calls are faster than 1.02s", "moved up to the histogram's bucket bound",
			"`CheckoutLatencyBurnPage`", "`rbgen:sli_slow:ratio_rate5m`"} {
			if !strings.Contains(string(lat), want) {
				t.Errorf("checkout's latency runbook lacks %q", want)
			}
		}
		promtoolAgrees(t, p, rec, f, "CheckoutAvailabilityBurnPage")
	})
}

func promtoolAgrees(t *testing.T, p *generator.Plan, rec *alerts.Recorder, f demo.Fault, want string) {
	day := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)
	end := day.Add(20 * time.Hour)
	cfg := &config.Config{}
	cfg.FillDefaults()
	d := cfg.Alerts.Dialect()

	var series []map[string]string
	seen := map[string]bool{}
	var rules []alerts.Rule
	var checkout *generator.Alert
	for _, a := range p.Alerts {
		if a.Name == want {
			checkout = a
		}
		rules = append(rules, a.Records...)
		r := a.Rule
		// The description prints the alert's value, which promtool's
		// expected annotations would have to match to the last digit.
		r.Annotations = map[string]string{"summary": r.Annotations["summary"], "runbook_url": r.Annotations["runbook_url"]}
		rules = append(rules, r)
		if seen[a.Target.Selector+a.Target.Calls] {
			continue
		}
		seen[a.Target.Selector+a.Target.Calls] = true
		series = append(series, promtest.InputSeries(a.Target, d.StatusLabel, generator.SeriesOf(rec, a.Node), day, end)...)
	}
	if checkout == nil || len(checkout.Backtest.Firings) != 1 {
		t.Fatalf("want one backtest firing of %s, got %+v", want, checkout)
	}
	fired := checkout.Backtest.Firings[0]

	var tests []any
	expect := func(at time.Time, a alerts.Rule, firing bool) {
		var exp []any
		if firing {
			labels := map[string]string{}
			for k, v := range a.Labels {
				labels[k] = v
			}
			if strings.Contains(a.Expr, "rbgen_node=") {
				// The recorded SLI series carry the node to the alert.
				labels["rbgen_node"] = a.Labels["node"]
			}
			exp = append(exp, map[string]any{"exp_labels": labels, "exp_annotations": a.Annotations})
		}
		tests = append(tests, map[string]any{"eval_time": promDur(at.Sub(day)), "alertname": a.Alert, "exp_alerts": exp})
	}
	for h := time.Hour; day.Add(h).Before(f.Start); h += time.Hour {
		for _, r := range rules {
			if r.Alert != "" {
				expect(day.Add(h), r, false)
			}
		}
	}
	for _, r := range rules {
		if r.Alert == want {
			expect(fired.Start.Add(3*time.Minute), r, true)
			expect(fired.End.Add(-3*time.Minute), r, true)
			expect(fired.End.Add(5*time.Minute), r, false)
		}
	}
	dir := t.TempDir()
	ruleFile, err := alerts.Marshal(alerts.File{Groups: []alerts.Group{{Name: "rbgen", Rules: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	test := map[string]any{"rule_files": []string{"rules.yaml"}, "evaluation_interval": "1m",
		"tests": []any{map[string]any{"interval": "1m", "input_series": series, "alert_rule_test": tests}}}
	b, err := yaml.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"rules.yaml": ruleFile, "test.yaml": b} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	promtest.Run(t, dir, "test", "rules", "test.yaml")
}

func promDur(d time.Duration) string { return fmt.Sprintf("%dm", int(d/time.Minute)) }

// TestThePostmortemsDetectionRunsTheDeployedAlerts evaluates the worked
// example's alerts (derived again from its graph snapshot and rbgen.yaml)
// over the fault week's incident: checkout's error alert is the first to
// fire, inside the window.
func TestThePostmortemsDetectionRunsTheDeployedAlerts(t *testing.T) {
	_, rec, f := faultWeek(t, 200)
	cfg, err := config.Load("../rbgen.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := generator.LoadTemplates("")
	d, err := generator.DetectAlerts(nil, generator.GenerateOptions{Dir: "../runbooks", Config: cfg, Templates: tmpl},
		rec, f.Start.Add(-15*time.Minute), f.End.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d.Alerts < 20 || !strings.Contains(d.Source, "as generate wrote them") {
		t.Errorf("evaluated %d alerts from %q", d.Alerts, d.Source)
	}
	if len(d.Firings) == 0 || d.Firings[0].Alert != "CheckoutHighErrorRate" || d.Firings[0].RunbookID != "RB-009" ||
		d.Firings[0].Firing.Start.Before(f.Start) || d.Firings[0].Firing.Start.After(f.End) {
		t.Errorf("firings: %+v", d.Firings)
	}
	for _, s := range d.SilentFor("checkout") {
		if s.Alert == "CheckoutHighErrorRate" {
			t.Error("checkout's error alert fired, yet is listed as silent")
		}
	}
	if len(d.SilentFor("payment")) != 2 {
		t.Errorf("payment's alerts should both be silent: %+v", d.SilentFor("payment"))
	}
}

// TestANewWeekWithTheSameTrafficRewritesNothing generates the demo week,
// then the same traffic a week later: only the graph snapshot changes, so
// a weekly job has nothing to propose.
func TestANewWeekWithTheSameTrafficRewritesNothing(t *testing.T) {
	cfg := &config.Config{}
	cfg.FillDefaults()
	tmpl, _ := generator.LoadTemplates("")
	dir := t.TempDir()
	for i, start := range []time.Time{time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)} {
		var buf bytes.Buffer
		if _, err := demo.Write(&buf, demo.Config{Start: start}); err != nil {
			t.Fatal(err)
		}
		rec := alerts.NewRecorder(cfg.Alerts.Dialect())
		b := topology.NewBuilder(topology.Options{})
		b.Observe(rec.Observe)
		g, err := b.Read(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: &buf})
		if err != nil {
			t.Fatal(err)
		}
		p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl, Series: rec})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			for _, c := range p.Changes {
				if filepath.Base(c.Path) != generator.GraphFile {
					t.Errorf("the second week rewrites %s (%s)", filepath.Base(c.Path), c.Reason)
				}
			}
		}
		if err := p.Apply(false); err != nil {
			t.Fatal(err)
		}
	}
}
