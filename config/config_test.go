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
