package generator_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	f := demo.Fault{Node: "checkout", ErrorRate: 0.6,
		Start: time.Date(2026, 11, 12, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 12, 14, 40, 0, 0, time.UTC)}
	var buf bytes.Buffer
	if _, err := demo.Write(&buf, demo.Config{PeakPerHour: peak, Faults: []demo.Fault{f}}); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{}
	cfg.FillDefaults()
	rec := alerts.NewRecorder(cfg.Alerts.Dialect())
	b := topology.NewBuilder(topology.Options{})
	b.Observe(rec.Observe)
	g, err := b.Read(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: &buf})
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
	p, rec, f := faultWeek(t, 200)
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
		if a.Name == "CheckoutHighErrorRate" {
			checkout = a
		}
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
		t.Fatalf("want one backtest firing of checkout's error alert, got %+v", checkout)
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
			exp = append(exp, map[string]any{"exp_labels": labels, "exp_annotations": a.Annotations})
		}
		tests = append(tests, map[string]any{"eval_time": promDur(at.Sub(day)), "alertname": a.Alert, "exp_alerts": exp})
	}
	for h := time.Hour; day.Add(h).Before(f.Start); h += time.Hour {
		for _, r := range rules {
			expect(day.Add(h), r, false)
		}
	}
	for _, r := range rules {
		if r.Alert == "CheckoutHighErrorRate" {
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
