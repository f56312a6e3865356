package generator_test

import (
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
	g := chainGraph(injection, "a{{b", "{}}", "quote\" } || { true")
	p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(false); err != nil {
		t.Fatal(err)
	}
	rulesDir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(dir, "RB-*.md"))
	var ruleFiles []string
	var fired *alerts.Rule
	for _, f := range files {
		rule := ruleOf(t, f)
		if rule == "" {
			continue
		}
		out := filepath.Join(rulesDir, filepath.Base(f)+".rules.yaml")
		if err := os.WriteFile(out, []byte(rule), 0o644); err != nil {
			t.Fatal(err)
		}
		ruleFiles = append(ruleFiles, filepath.Base(out))
		var parsed alerts.File
		if err := yaml.Unmarshal([]byte(rule), &parsed); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		r := parsed.Groups[0].Rules[0]
		if r.Labels["node"] == alerts.Inert(injection) && r.Labels["symptom"] == generator.SymptomErrors {
			fired = &r
			if err := os.WriteFile(filepath.Join(rulesDir, "fired.yaml"), []byte(rule), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(ruleFiles) == 0 || fired == nil {
		t.Fatalf("no rules (%d) or none for the injected name", len(ruleFiles))
	}
	promtest.Run(t, rulesDir, append([]string{"check", "rules"}, ruleFiles...)...)

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
					"exp_labels": map[string]string{"node": injection, "symptom": generator.SymptomErrors},
					"exp_annotations": map[string]string{"summary": summary,
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

// ruleOf is the alerting rule a runbook's Trigger shows, "" if none.
func ruleOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\ngroups:")
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "\n```")
	return "groups:" + body + "\n"
}

// TestTheWorkedExampleRulesLoad checks every alerting rule in the worked
// example (runbooks/, generated from the demo week) with the real promtool:
// no errors and no warnings.
func TestTheWorkedExampleRulesLoad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "runbooks", "RB-*.md"))
	if len(files) == 0 {
		t.Fatal("no runbooks in ../runbooks")
	}
	dir := t.TempDir()
	args := []string{"check", "rules"}
	for _, f := range files {
		if rule := ruleOf(t, f); rule != "" {
			name := filepath.Base(f) + ".rules.yaml"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(rule), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, name)
		}
	}
	if out := promtest.Run(t, dir, args...); strings.Contains(strings.ToLower(out), "warn") {
		t.Errorf("promtool warns:\n%s", out)
	}
}
