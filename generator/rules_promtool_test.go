package generator_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/promtest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// injection is a service name that, copied verbatim into a rule, would run
// a PromQL query of the sender's choosing whenever the alert fires.
const injection = `{{ with query "secret_metric" }}{{ . | first | value }}{{ end }}`

// TestRulesFromHostileNamesLoadAndRunNothing writes the runbooks of
// services with template syntax in their names, checks every alerting
// rule with the real promtool, and fires the injected one in promtool's
// rule test: its labels and summary must expand to the names as they are.
func TestRulesFromHostileNamesLoadAndRunNothing(t *testing.T) {
	dir := t.TempDir()
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	cfg.Alerts.MinObservedCalls = 1 // the chain is a handful of calls
	g := chainGraph(injection, "a{{b", "{}}", "quote\" } || { true")
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	rulesDir := t.TempDir()
	file := readRules(t, filepath.Join(dir, generator.AlertsFile))
	var fired *alerts.Rule
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Labels["node"] == alerts.Inert(injection) && r.Labels["symptom"] == generator.SymptomErrors {
				fired = &r
			}
		}
	}
	if len(file.Groups) == 0 || fired == nil {
		t.Fatalf("no groups (%d) or no rule for the injected name", len(file.Groups))
	}
	promtest.Run(t, dir, "check", "rules", generator.AlertsFile)
	one, err := alerts.Marshal(alerts.File{Groups: []alerts.Group{{Name: "fired", Rules: []alerts.Rule{*fired}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rulesDir, "fired.yaml"), one, 0o644); err != nil {
		t.Fatal(err)
	}

	summary := injection + strings.TrimPrefix(fired.Annotations["summary"], alerts.Inert(injection))
	series := func(status string) string {
		return "traces_spanmetrics_calls_total{service=" + strconv.Quote(injection) +
			`, span_kind="SPAN_KIND_SERVER", status_code="` + status + `"}`
	}
	test := map[string]any{
		"rule_files":          []string{"fired.yaml"},
		"evaluation_interval": "1m",
		"tests": []any{map[string]any{
			"interval": "1m",
			"input_series": []any{
				map[string]string{"series": series("STATUS_CODE_ERROR"), "values": "0+10x40"},
				map[string]string{"series": series("STATUS_CODE_UNSET"), "values": "0+0x40"},
			},
			"alert_rule_test": []any{map[string]any{
				"eval_time": "30m",
				"alertname": fired.Alert,
				"exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"node": injection, "symptom": generator.SymptomErrors,
						"owner": "unowned", "rbgen_id": fired.Labels["rbgen_id"], "severity": fired.Labels["severity"]},
					"exp_annotations": map[string]string{"summary": summary,
						"description": expand(fired.Annotations["description"], "100%"),
						"runbook_url": fired.Annotations["runbook_url"]},
				}},
			}},
		}},
	}
	b, err := yaml.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rulesDir, "test.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	promtest.Run(t, rulesDir, "test", "rules", "test.yaml")
}

// readRules reads a rules file rbgen wrote.
func readRules(t *testing.T, path string) alerts.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f alerts.File
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// expand is what Prometheus makes of an annotation rbgen wrote, given the
// value its template call prints.
func expand(s, value string) string {
	for _, call := range []string{"{{ $value | humanizePercentage }}", "{{ $value | humanizeDuration }}", "{{ $value }}"} {
		s = strings.ReplaceAll(s, call, value)
	}
	return strings.NewReplacer(`{{ "{" }}`, "{", `{{ "}" }}`, "}").Replace(s)
}

// TestTheWorkedExampleRulesLoad checks the worked example's rules file
// (runbooks/, generated from the demo week) with the real promtool: no
// errors and no warnings.
func TestTheWorkedExampleRulesLoad(t *testing.T) {
	out := promtest.Run(t, filepath.Join("..", "runbooks"), "check", "rules", generator.AlertsFile)
	if strings.Contains(strings.ToLower(out), "warn") {
		t.Errorf("promtool warns:\n%s", out)
	}
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool found no rules:\n%s", out)
	}
}

// TestCorpusRulesLoadInEveryDialect writes the rules file of every real
// dataset, backtested on its own traces, in each metrics dialect and as a
// PrometheusRule, and checks the rules files with the real promtool: no
// errors, no warnings.
func TestCorpusRulesLoadInEveryDialect(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, dialect := range alerts.Dialects {
				cfg := &config.Config{Alerts: config.Alerts{Metrics: dialect, Matchers: []string{`cluster="prod"`}}}
				cfg.FillDefaults()
				rec := alerts.NewRecorder(cfg.Alerts.Dialect())
				b := topology.NewBuilder(topology.Options{})
				b.Observe(rec.Observe)
				g, err := b.Read(context.Background(), &tracefile.Reader{Paths: []string{f}})
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				tmpl, _ := generator.LoadTemplates("")
				p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl, Series: rec})
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Apply(false); err != nil {
					t.Fatal(err)
				}
				out := promtest.Run(t, dir, "check", "rules", generator.AlertsFile)
				if strings.Contains(strings.ToLower(out), "warn") || !strings.Contains(out, "SUCCESS") {
					t.Errorf("%s: promtool says:\n%s", dialect, out)
				}
				noisy := 0
				for _, a := range p.Alerts {
					if !strings.Contains(a.Rule.Expr, `cluster="prod"`) {
						t.Errorf("%s: %s lacks the extra matcher", dialect, a.Name)
					}
					if a.Backtest != nil && a.Backtest.Noisy {
						noisy++
					}
				}
				t.Logf("%s: %d alerts, %d noisy in the backtest", dialect, len(p.Alerts), noisy)
			}
		})
	}
}
