package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/config"
)

func TestParseGoodFile(t *testing.T) {
	c, err := config.Parse("rbgen.yaml", []byte(`
base_url: https://ops.example.com/runbooks/
defaults:
  owner: sre
  channel: "#ops"
namespaces:
  shop:
    team: Shop
owners:
  checkout:
    owner: payments
    pager: payments-primary
thresholds:
  latency_floor_ms: 250
  for: 15m
scenarios:
  degraded: false
  extra:
    - symptom: saturation
      title: "{node} is saturated"
      node_kinds: [service]
      expr: 'rate(x{service="{node}"}[5m]) > 1'
ignore: ["legacy-*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Thresholds.LatencyFloorMS != 250 || c.Thresholds.For.Duration != 15*time.Minute || c.Thresholds.ErrorFactor != 5 {
		t.Errorf("thresholds = %+v", c.Thresholds)
	}
	o := c.OwnerOf("checkout", "shop")
	if o.Owner != "payments" || o.Team != "Shop" || o.Channel != "#ops" || o.Pager != "payments-primary" {
		t.Errorf("owner = %+v", o)
	}
	if config.Enabled(c.Scenarios.Degraded) || !config.Enabled(c.Scenarios.HighLatency) {
		t.Error("scenario switches wrong")
	}
	if !c.Ignored("legacy-billing") || c.Ignored("billing") {
		t.Error("ignore patterns wrong")
	}
}

func TestBadFilesNameTheKeyAndLine(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"an unknown key is named with its path", "thresholds:\n  latency_facter: 2\n",
			"rbgen.yaml:2: thresholds.latency_facter: unknown key"},
		{"an unknown key in a map entry is named with its path", "owners:\n  checkout:\n    oncall: x\n",
			"rbgen.yaml:3: owners.checkout.oncall: unknown key"},
		{"a negative factor is refused", "thresholds:\n  error_factor: 0.5\n",
			"rbgen.yaml:2: thresholds.error_factor: must be at least 1"},
		{"an error floor in percent is refused", "thresholds:\n  error_floor: 5\n",
			"thresholds.error_floor: is a ratio"},
		{"a bad duration is refused", "thresholds:\n  for: soon\n",
			"rbgen.yaml:2: want a positive duration"},
		{"a wrong type is refused", "ignore: 3\n", "rbgen.yaml:1:"},
		{"an extra scenario needs a slug", "scenarios:\n  extra:\n    - symptom: Bad Name\n      title: x\n      node_kinds: [service]\n",
			"rbgen.yaml:3: scenarios.extra[0].symptom: want a slug"},
		{"an extra scenario may not shadow a built-in", "scenarios:\n  extra:\n    - symptom: degraded\n      title: x\n      node_kinds: [service]\n",
			"already a scenario"},
		{"invalid YAML is reported", "owners: [\n", "rbgen.yaml"},
		{"an unknown metrics dialect is refused", "alerts:\n  metrics: jaeger\n",
			`rbgen.yaml:2: alerts.metrics: unknown metrics dialect "jaeger" (want tempo or otel-spanmetrics)`},
		{"a runbook_url template that does not parse is refused", "alerts:\n  runbook_url: \"https://wiki/{{ .ID \"\n",
			"rbgen.yaml:2: alerts.runbook_url: template does not parse"},
		{"a runbook_url template naming an unknown field is refused", "alerts:\n  runbook_url: \"https://wiki/{{ .Title }}\"\n",
			"rbgen.yaml:2: alerts.runbook_url: template does not expand"},
		{"a matcher that is not one is refused", "alerts:\n  matchers:\n    - cluster=prod\n",
			"rbgen.yaml:3: alerts.matchers[0]: want a label matcher"},
		{"buckets out of order are refused", "alerts:\n  buckets: [5, 2]\n", "rbgen.yaml:2: alerts.buckets: want positive bounds"},
		{"an unknown rules format is refused", "alerts:\n  format: json\n", "rbgen.yaml:2: alerts.format: want prometheus"},
		{"an objective of 100% is refused", "objectives:\n  api.stripe.com:\n    availability: 100\n",
			"rbgen.yaml:3: objectives.api.stripe.com.availability: is a percentage below 100"},
		{"an objective above 100% is refused", "objectives:\n  checkout:\n    availability: 99.9\n    latency:\n      threshold_ms: 300\n      percent: 101\n",
			"rbgen.yaml:6: objectives.checkout.latency.percent: is a percentage below 100"},
		{"an empty objective is refused", "objectives:\n  checkout: {}\n", "rbgen.yaml:2: objectives.checkout: give availability"},
		{"an error ceiling in percent is refused", "thresholds:\n  error_ceiling: 50\n", "rbgen.yaml:2: thresholds.error_ceiling: is a ratio"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse("rbgen.yaml", []byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line containing %q", err, c.want)
			}
		})
	}
}

func TestMissingDefaultFileIsNotAnError(t *testing.T) {
	c, err := config.Load("does-not-exist.yaml", false)
	if err != nil || c.Thresholds.ErrorFloor != config.DefaultErrorFloor {
		t.Errorf("got %+v, %v", c, err)
	}
	if _, err := config.Load("does-not-exist.yaml", true); err == nil {
		t.Error("a named file that is missing must be an error")
	}
}

func TestDialectOverrides(t *testing.T) {
	c, err := config.Parse("rbgen.yaml", []byte(`
alerts:
  metrics: otel-spanmetrics
  prefix: spans
  duration_unit: s
  labels: {service: svc}
  buckets: [0.1, 1]
  matchers: ['cluster="prod"']
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Alerts.Dialect()
	if d.Calls != "spans_calls_total" || d.Histogram != "spans_duration_seconds" || d.ServiceLabel != "svc" ||
		d.Unit != 1 || len(d.Buckets) != 2 || d.Buckets[1] != 1 || d.Matchers[0] != `cluster="prod"` {
		t.Errorf("dialect = %+v", d)
	}
	if sel := d.Service("cart", nil).Selector; sel != `svc="cart", cluster="prod"` {
		t.Errorf("selector = %s", sel)
	}
}

func TestServiceOverridesApplyGlobsThenTheExactName(t *testing.T) {
	c, err := config.Parse("rbgen.yaml", []byte(`
owners:
  checkout: {owner: payments}
services:
  "check*":
    tier: 2
    team: Shop
    thresholds: {error_factor: 3}
  checkout:
    tier: 1
    pager: payments-primary
    thresholds: {for: 5m}
`))
	if err != nil {
		t.Fatal(err)
	}
	sv := c.ServiceFor("checkout")
	if sv.Tier != 1 || sv.Team != "Shop" || sv.Pager != "payments-primary" {
		t.Errorf("checkout's overrides = %+v", sv)
	}
	th := c.ThresholdsFor("checkout")
	if th.ErrorFactor != 3 || th.For.Duration != 5*time.Minute || th.LatencyFactor != config.DefaultLatencyFactor {
		t.Errorf("checkout's thresholds = %+v", th)
	}
	if o := c.OwnerOf("checkout", ""); o.Owner != "payments" || o.Team != "Shop" || o.Pager != "payments-primary" {
		t.Errorf("checkout's owner = %+v", o)
	}
	if c.ServiceFor("cart").Tier != 0 || c.ThresholdsFor("cart").ErrorFactor != config.DefaultErrorFactor {
		t.Error("an override reached a service it does not name")
	}
	for _, bad := range []struct{ doc, want string }{
		{"services:\n  checkout:\n    tier: 7\n", "rbgen.yaml:3: services.checkout.tier: want 1 (most important) to 4"},
		{"services:\n  checkout:\n    severity: urgent\n", "rbgen.yaml:3: services.checkout.severity: want one of critical"},
		{"services:\n  checkout:\n    thresholds:\n      error_factor: 0.5\n", "rbgen.yaml:4: services.checkout.thresholds.error_factor: must be at least 1"},
		{"services:\n  checkout:\n    oncall: x\n", "rbgen.yaml:3: services.checkout.oncall: unknown key"},
	} {
		if _, err := config.Parse("rbgen.yaml", []byte(bad.doc)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err = %v, want %q", bad.doc, err, bad.want)
		}
	}
}
