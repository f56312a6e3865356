// Package config reads rbgen.yaml: owners and escalation, alert thresholds,
// which runbook scenarios to write, remediation overrides, services to
// ignore, and the URLs that runbooks link to.
//
// Unknown keys and bad values are errors that name the key path and line,
// so a typo cannot silently turn a setting off.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rbgen/rbgen/alerts"
)

// Config is rbgen.yaml. The zero value, after Defaults, is usable.
type Config struct {
	// BaseURL is where the runbooks are published; runbook_url
	// annotations are BaseURL + file name.
	BaseURL string `yaml:"base_url"`
	// GrafanaURL and TempoDatasource make Explore links for TraceQL queries.
	GrafanaURL      string `yaml:"grafana_url"`
	TempoDatasource string `yaml:"tempo_datasource"`

	// Defaults apply to every service; Namespaces by service.namespace;
	// Owners by service (or node) name. Later wins, field by field.
	Defaults   Owner            `yaml:"defaults"`
	Namespaces map[string]Owner `yaml:"namespaces"`
	Owners     map[string]Owner `yaml:"owners"`

	Thresholds Thresholds `yaml:"thresholds"`
	Scenarios  Scenarios  `yaml:"scenarios"`
	// Remediation adds steps per node, then per symptom
	// (high-error-rate, high-latency, degraded, or an extra scenario's
	// symptom), ahead of the generic ones.
	Remediation map[string]map[string][]string `yaml:"remediation"`
	// Ignore lists nodes that get no runbooks (glob patterns).
	Ignore []string `yaml:"ignore"`
	// Services override, per node name or glob pattern, its tier or
	// severity, its owner and its thresholds. Globs apply in name order,
	// then the exact name.
	Services map[string]Service `yaml:"services"`
	// Tempo is where to pull traces from; flags override it.
	Tempo Tempo `yaml:"tempo"`
	// Prometheus is where the span-metrics and service-graph series are,
	// when the numbers should come from them (Prometheus, Mimir, Grafana
	// Cloud Metrics).
	Prometheus Prometheus `yaml:"prometheus"`
	// Environment keeps the spans of one deployment.environment.name;
	// --environment overrides it.
	Environment string `yaml:"environment"`
	// Aliases rename nodes, or merge them into a node already called
	// that: a name or glob pattern to the name to use. A renamed node
	// keeps its runbook numbers.
	Aliases map[string]string `yaml:"aliases"`
	// Alerts says which metrics the rules file reads and where it goes.
	Alerts Alerts `yaml:"alerts"`
	// Objectives give nodes service-level objectives: they get SLI
	// recording rules and burn-rate alerts instead of baseline thresholds.
	Objectives map[string]Objective `yaml:"objectives"`
	// IncidentLevels is the SEV table postmortems grade incidents by,
	// first match wins; DefaultIncidentLevels when empty.
	IncidentLevels []IncidentLevel `yaml:"incident_levels"`
}

// Service is one node's (or glob's) overrides.
type Service struct {
	// Tier 1 (most important) to 4 sets the severity: 1 critical, 2 high,
	// 3 medium, 4 low (latency runbooks one lower). Severity, when given,
	// is used as it is.
	Tier     int    `yaml:"tier"`
	Severity string `yaml:"severity"`
	Owner    `yaml:",inline"`
	// Thresholds override the global ones key by key.
	Thresholds Thresholds `yaml:"thresholds"`
}

// ServiceFor merges the overrides that apply to a node: matching globs in
// name order, then its exact name.
func (c *Config) ServiceFor(node string) Service {
	var out Service
	keys := sortedKeys(c.Services)
	for _, exact := range []bool{false, true} {
		for _, k := range keys {
			if (k == node) != exact || !exact && !MatchAny([]string{k}, node) {
				continue
			}
			s := c.Services[k]
			if s.Tier != 0 {
				out.Tier = s.Tier
			}
			if s.Severity != "" {
				out.Severity = s.Severity
			}
			out.Owner = out.Owner.overlay(s.Owner)
			out.Thresholds = out.Thresholds.overlay(s.Thresholds)
		}
	}
	return out
}

// ThresholdsFor are the thresholds for a node: the global ones with its
// overrides.
func (c *Config) ThresholdsFor(node string) Thresholds {
	return c.Thresholds.overlay(c.ServiceFor(node).Thresholds)
}

func (t Thresholds) overlay(o Thresholds) Thresholds {
	for _, f := range []struct{ dst, src *float64 }{{&t.LatencyFactor, &o.LatencyFactor}, {&t.LatencyFloorMS, &o.LatencyFloorMS},
		{&t.ErrorFactor, &o.ErrorFactor}, {&t.ErrorFloor, &o.ErrorFloor}, {&t.ErrorCeiling, &o.ErrorCeiling}} {
		if *f.src != 0 {
			*f.dst = *f.src
		}
	}
	if o.For.Duration != 0 {
		t.For = o.For
	}
	return t
}

// Alerts shapes the rules file: the metrics dialect it is written for,
// overrides of that dialect's names, and where and how it is written.
type Alerts struct {
	// Metrics is the dialect: tempo (Tempo's metrics-generator) or
	// otel-spanmetrics (the Collector's or Alloy's spanmetrics connector).
	Metrics string `yaml:"metrics"`
	// Prefix replaces the span metrics' name prefix (traces_spanmetrics,
	// traces_span_metrics).
	Prefix string `yaml:"prefix"`
	// Labels rename the span metrics' labels.
	Labels MetricLabels `yaml:"labels"`
	// DurationUnit is the duration histogram's unit, s or ms.
	DurationUnit string `yaml:"duration_unit"`
	// HistogramSuffix is the bucket series' suffix (_bucket).
	HistogramSuffix string `yaml:"histogram_suffix"`
	// Buckets are the duration histogram's bounds, in DurationUnit.
	Buckets []float64 `yaml:"buckets"`
	// Matchers are added to every selector, such as cluster="prod".
	Matchers []string `yaml:"matchers"`
	// File is where the rules go (default: rbgen-alerts.yaml in the
	// runbook folder); Format is prometheus or prometheusrule.
	File   string `yaml:"file"`
	Format string `yaml:"format"`
	// RunbookURL is a template for the runbook_url annotation, with .ID,
	// .File, .Slug and .Node; without it, base_url and the published page.
	RunbookURL string `yaml:"runbook_url"`
	// NoisyPerWeek is how often an alert may fire in a week of the
	// backtest before it is marked noisy (default 2).
	NoisyPerWeek int `yaml:"noisy_per_week"`
	// MinCalls is the fewest calls in the rate window for an alert to
	// fire (default: half what the window holds at the node's traced
	// rate, at least MinBadCalls, at most 10); WindowCalls the calls the
	// window should hold at that rate, which sizes it between 5m and 1h
	// (default 30).
	MinCalls int `yaml:"min_calls"`
	// RateWindows are the windows an alert may read, shortest first
	// (default 5m, 10m, 15m, 30m, 1h).
	RateWindows []Duration `yaml:"rate_windows"`
	WindowCalls int        `yaml:"window_calls"`
	// MinBadCalls is the fewest failed (or, for latency, slow) calls in
	// the window for an alert to fire (default: the fewest that chance at
	// the baseline reaches in one window in 10,000, at least 2).
	MinBadCalls int `yaml:"min_bad_calls"`
	// MinObservedCalls is the fewest calls over the whole period read
	// for rbgen to derive a threshold alert from them (default 100): a
	// baseline of a dozen calls says nothing about the next hour. 1 lets
	// every node have one.
	MinObservedCalls int `yaml:"min_observed_calls"`
	// PrometheusRule names the prometheus-operator object.
	PrometheusRule PrometheusRule `yaml:"prometheusrule"`
}

// MetricLabels rename the labels of the span metrics.
type MetricLabels struct {
	Service  string `yaml:"service"`
	SpanKind string `yaml:"span_kind"`
	Status   string `yaml:"status_code"`
}

// PrometheusRule is the metadata of a prometheus-operator PrometheusRule.
type PrometheusRule struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

// Objective is a node's service-level objective over a period.
type Objective struct {
	// Availability is the percentage of calls that must succeed (99.9).
	Availability float64 `yaml:"availability"`
	// Latency is the percentage of calls (Percent) that must be faster
	// than ThresholdMS.
	Latency *LatencyObjective `yaml:"latency"`
	// Period is the SLO period (default 30d, the SRE Workbook's).
	Period Duration `yaml:"period"`
}

// LatencyObjective is "Percent of calls faster than ThresholdMS".
type LatencyObjective struct {
	ThresholdMS float64 `yaml:"threshold_ms"`
	Percent     float64 `yaml:"percent"`
}

// Alert defaults.
const (
	DefaultNoisyPerWeek = 2
	// DefaultMinCalls caps the derived traffic guard.
	DefaultMinCalls    = 10
	DefaultWindowCalls = 30
	// DefaultMinObservedCalls is Alerts.MinObservedCalls' default.
	DefaultMinObservedCalls = 100
	DefaultErrorCeiling     = 0.5
	DefaultPeriod           = 30 * 24 * time.Hour
)

// Tempo says how to reach Tempo. Secrets are never in the file: it names
// the environment variables that hold them.
type Tempo struct {
	GRPC        string `yaml:"grpc"`
	HTTP        string `yaml:"http"`
	Tenant      string `yaml:"tenant"`
	Query       string `yaml:"query"`
	TokenEnv    string `yaml:"token_env"`
	UserEnv     string `yaml:"user_env"`
	PasswordEnv string `yaml:"password_env"`
	// TLS turns on TLS for gRPC (https URLs use it for HTTP anyway).
	TLS                bool   `yaml:"tls"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Prometheus says how to reach the Prometheus API holding the span
// metrics, with the same auth, TLS and tenant options as Tempo. Secrets
// are never in the file: it names the environment variables that hold
// them.
type Prometheus struct {
	URL                string `yaml:"url"`
	Tenant             string `yaml:"tenant"`
	TokenEnv           string `yaml:"token_env"`
	UserEnv            string `yaml:"user_env"`
	PasswordEnv        string `yaml:"password_env"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Owner is who answers for a service, and how to reach them.
type Owner struct {
	Owner   string `yaml:"owner"`
	Team    string `yaml:"team"`
	Channel string `yaml:"channel"`
	Pager   string `yaml:"pager"`
	// Escalation is the chain after the owner, in order.
	Escalation []string `yaml:"escalation"`
}

// Thresholds shape the alert conditions derived from the baseline.
type Thresholds struct {
	// Latency alerts fire when p99 exceeds max(LatencyFactor × baseline
	// p99, LatencyFloorMS).
	LatencyFactor  float64 `yaml:"latency_factor"`
	LatencyFloorMS float64 `yaml:"latency_floor_ms"`
	// Error alerts fire when the error ratio exceeds max(ErrorFactor ×
	// baseline ratio, ErrorFloor).
	ErrorFactor float64 `yaml:"error_factor"`
	ErrorFloor  float64 `yaml:"error_floor"`
	// For is how long the condition must hold.
	For Duration `yaml:"for"`
	// ErrorCeiling caps the relative error threshold: a node whose
	// baseline would put it above this is already failing, and is alerted
	// at an absolute level between its baseline and 100%.
	ErrorCeiling float64 `yaml:"error_ceiling"`
}

// Scenarios switch the built-in runbooks on and off and add new ones.
type Scenarios struct {
	HighErrorRate *bool      `yaml:"high_error_rate"`
	HighLatency   *bool      `yaml:"high_latency"`
	Degraded      *bool      `yaml:"degraded"`
	Extra         []Scenario `yaml:"extra"`
}

// Scenario is a runbook kind of the team's own. In Expr and TraceQL,
// {node} stands for the node's name.
type Scenario struct {
	Symptom string `yaml:"symptom"`
	Title   string `yaml:"title"`
	// NodeKinds it applies to (service, database, cache, messaging,
	// external); Nodes narrows it to names (glob patterns).
	NodeKinds   []string `yaml:"node_kinds"`
	Nodes       []string `yaml:"nodes"`
	Severity    string   `yaml:"severity"`
	Expr        string   `yaml:"expr"`
	TraceQL     string   `yaml:"traceql"`
	Diagnosis   []string `yaml:"diagnosis"`
	Remediation []string `yaml:"remediation"`
}

// Duration reads "10m" style durations.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: want a positive duration such as 10m, got %q", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// Default values of the thresholds.
const (
	DefaultLatencyFactor  = 2
	DefaultLatencyFloorMS = 100
	DefaultErrorFactor    = 5
	DefaultErrorFloor     = 0.01
	DefaultFor            = 10 * time.Minute
)

// FillDefaults fills what the file left out.
func (c *Config) FillDefaults() {
	t := &c.Thresholds
	if t.LatencyFactor == 0 {
		t.LatencyFactor = DefaultLatencyFactor
	}
	if t.LatencyFloorMS == 0 {
		t.LatencyFloorMS = DefaultLatencyFloorMS
	}
	if t.ErrorFactor == 0 {
		t.ErrorFactor = DefaultErrorFactor
	}
	if t.ErrorFloor == 0 {
		t.ErrorFloor = DefaultErrorFloor
	}
	if t.For.Duration == 0 {
		t.For.Duration = DefaultFor
	}
	if t.ErrorCeiling == 0 {
		t.ErrorCeiling = DefaultErrorCeiling
	}
	a := &c.Alerts
	if a.Metrics == "" {
		a.Metrics = "tempo"
	}
	if a.Format == "" {
		a.Format = "prometheus"
	}
	if a.NoisyPerWeek == 0 {
		a.NoisyPerWeek = DefaultNoisyPerWeek
	}
	if a.WindowCalls == 0 {
		a.WindowCalls = DefaultWindowCalls
	}
	if a.MinObservedCalls == 0 {
		a.MinObservedCalls = DefaultMinObservedCalls
	}
	for k, o := range c.Objectives {
		if o.Period.Duration == 0 {
			o.Period.Duration = DefaultPeriod
			c.Objectives[k] = o
		}
	}
}

// Enabled says whether a built-in scenario is on (they all are by default).
func Enabled(b *bool) bool { return b == nil || *b }

// OwnerOf merges defaults, the namespace's entry and the node's entry.
func (c *Config) OwnerOf(node, namespace string) Owner {
	o := c.Defaults
	if namespace != "" {
		o = o.overlay(c.Namespaces[namespace])
		if o.Team == "" {
			o.Team = namespace
		}
	}
	return o.overlay(c.Owners[node]).overlay(c.ServiceFor(node).Owner)
}

func (o Owner) overlay(p Owner) Owner {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&o.Owner, p.Owner}, {&o.Team, p.Team}, {&o.Channel, p.Channel}, {&o.Pager, p.Pager},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if len(p.Escalation) > 0 {
		o.Escalation = p.Escalation
	}
	return o
}

// Ignored says whether node matches an ignore pattern.
func (c *Config) Ignored(node string) bool { return MatchAny(c.Ignore, node) }

// MatchAny matches name against glob patterns (path.Match syntax, where
// '*' also crosses '/').
func MatchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if globRE(p).MatchString(name) {
			return true
		}
	}
	return false
}

func globRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Error is a problem in the file, at a key path and line.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
}

// Load reads and checks a config file. A missing file at a path the user
// did not name is not an error: pass required=false for the default path.
func Load(path string, required bool) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		c := &Config{}
		c.FillDefaults()
		return c, nil
	}
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, b)
}

// Parse checks and decodes a config document; name is used in errors.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) > 0 {
		if err := checkKeys(name, doc.Content[0], reflect.TypeOf(*c), ""); err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && err != io.EOF {
			return nil, decodeError(name, err)
		}
	}
	c.FillDefaults()
	if err := c.validate(name, &doc); err != nil {
		return nil, err
	}
	return c, nil
}

// checkKeys walks the document against the struct, so an unknown key is
// reported with its full path rather than a Go type name.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeOf(Duration{}):
		return nil
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{File: file, Line: k.Line, Path: join(path, k.Value),
					Msg: "unknown key (known: " + strings.Join(sortedKeys(fields), ", ") + ")"}
			}
			if err := checkKeys(file, n.Content[i+1], ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			if err := checkKeys(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps a struct's YAML keys to their types, inline fields'
// keys included.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		tag, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if opts == "inline" {
			for k, v := range yamlFields(t.Field(i).Type) {
				fields[k] = v
			}
			continue
		}
		fields[tag] = t.Field(i).Type
	}
	return fields
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// decodeError turns yaml's type errors into one line with the line number.
func decodeError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: strings.ReplaceAll(msg, "\n", " ")}
}

// validate checks values, naming the key path of the first bad one.
func (c *Config) validate(file string, doc *yaml.Node) error {
	bad := func(path, msg string) error {
		return &Error{File: file, Line: lineOf(doc, path), Path: path, Msg: msg}
	}
	if msg, key := checkThresholds(c.Thresholds); msg != "" {
		return bad("thresholds."+key, msg)
	}
	for _, u := range []struct{ key, val string }{{"base_url", c.BaseURL}, {"grafana_url", c.GrafanaURL}} {
		if u.val == "" {
			continue
		}
		if p, err := url.Parse(u.val); err != nil || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "") {
			return bad(u.key, "want an http(s) URL or a path")
		}
	}
	for _, e := range []struct{ key, val string }{{"tempo.token_env", c.Tempo.TokenEnv},
		{"tempo.user_env", c.Tempo.UserEnv}, {"tempo.password_env", c.Tempo.PasswordEnv}} {
		if e.val != "" && !envNameRE.MatchString(e.val) {
			return bad(e.key, "must name an environment variable (such as TEMPO_TOKEN), not hold the secret")
		}
	}
	kinds := []string{"service", "database", "cache", "messaging", "external"}
	seen := map[string]bool{"high-error-rate": true, "high-latency": true, "degraded": true}
	for i, s := range c.Scenarios.Extra {
		p := fmt.Sprintf("scenarios.extra[%d]", i)
		switch {
		case !slugRE.MatchString(s.Symptom):
			return bad(p+".symptom", "want a slug such as saturation (lowercase letters, digits, dashes)")
		case seen[s.Symptom]:
			return bad(p+".symptom", fmt.Sprintf("%q is already a scenario", s.Symptom))
		case s.Title == "":
			return bad(p+".title", "is required")
		case len(s.NodeKinds) == 0 && len(s.Nodes) == 0:
			return bad(p, "needs node_kinds or nodes to say where it applies")
		case s.Severity != "" && !slices.Contains(Severities, s.Severity):
			return bad(p+".severity", "want one of "+strings.Join(Severities, ", "))
		}
		for _, k := range s.NodeKinds {
			if !slices.Contains(kinds, k) {
				return bad(p+".node_kinds", fmt.Sprintf("unknown kind %q (want %s)", k, strings.Join(kinds, ", ")))
			}
		}
		seen[s.Symptom] = true
	}
	for _, k := range sortedKeys(c.Services) {
		sv := c.Services[k]
		p := "services." + k
		switch {
		case sv.Tier < 0 || sv.Tier > 4:
			return &Error{File: file, Line: lineOfParts(doc, []string{"services", k, "tier"}), Path: p + ".tier", Msg: "want 1 (most important) to 4"}
		case sv.Severity != "" && !slices.Contains(Severities, sv.Severity):
			return &Error{File: file, Line: lineOfParts(doc, []string{"services", k, "severity"}), Path: p + ".severity", Msg: "want one of " + strings.Join(Severities, ", ")}
		}
		if msg, key := checkThresholds(c.Thresholds.overlay(sv.Thresholds)); msg != "" {
			return &Error{File: file, Line: lineOfParts(doc, []string{"services", k, "thresholds", key}), Path: p + ".thresholds." + key, Msg: msg}
		}
	}
	for _, k := range sortedKeys(c.Aliases) {
		if strings.TrimSpace(c.Aliases[k]) == "" {
			return &Error{File: file, Line: lineOfParts(doc, []string{"aliases", k}), Path: "aliases." + k, Msg: "want the name to use instead"}
		}
		if _, err := path.Match(k, ""); err != nil {
			return &Error{File: file, Line: lineOfParts(doc, []string{"aliases", k}), Path: "aliases." + k, Msg: "bad glob pattern: " + err.Error()}
		}
	}
	if err := c.validateAlerts(bad); err != nil {
		return err
	}
	for i, l := range c.IncidentLevels {
		at := func(key, msg string) error {
			return &Error{File: file, Line: lineOfParts(doc, []string{"incident_levels"}), Path: fmt.Sprintf("incident_levels[%d].%s", i, key), Msg: msg}
		}
		switch {
		case l.Name == "":
			return at("name", "want a name such as SEV1")
		case !slices.Contains(Severities, l.Severity):
			return at("severity", "want one of "+strings.Join(Severities, ", "))
		case l.BadPercent < 0 || l.BadPercent > 100:
			return at("bad_percent", "want 0 to 100")
		case l.Minutes < 0:
			return at("minutes", "want 0 or more")
		}
	}
	return c.validateObjectives(file, doc)
}

// checkThresholds says what is wrong with thresholds, and under which key.
func checkThresholds(t Thresholds) (msg, key string) {
	switch {
	case t.LatencyFactor < 1:
		return "must be at least 1", "latency_factor"
	case t.LatencyFloorMS < 0:
		return "must not be negative", "latency_floor_ms"
	case t.ErrorFactor < 1:
		return "must be at least 1", "error_factor"
	case t.ErrorFloor <= 0 || t.ErrorFloor >= 1:
		return "is a ratio: between 0 and 1 (0.01 is 1%)", "error_floor"
	case t.ErrorCeiling <= 0 || t.ErrorCeiling >= 1:
		return "is a ratio: between 0 and 1 (0.5 is 50%)", "error_ceiling"
	}
	return "", ""
}

func (c *Config) validateAlerts(bad func(path, msg string) error) error {
	a := c.Alerts
	switch {
	case !slices.Contains(alerts.Dialects, a.Metrics):
		return bad("alerts.metrics", fmt.Sprintf("unknown metrics dialect %q (want %s)", a.Metrics, strings.Join(alerts.Dialects, " or ")))
	case a.DurationUnit != "" && a.DurationUnit != "s" && a.DurationUnit != "ms":
		return bad("alerts.duration_unit", "want s or ms")
	case a.Format != "prometheus" && a.Format != "prometheusrule":
		return bad("alerts.format", "want prometheus (a rules file) or prometheusrule (a prometheus-operator PrometheusRule)")
	case a.NoisyPerWeek < 0:
		return bad("alerts.noisy_per_week", "must not be negative")
	case a.MinCalls < 0:
		return bad("alerts.min_calls", "must not be negative")
	case a.MinBadCalls < 0:
		return bad("alerts.min_bad_calls", "must not be negative")
	case a.WindowCalls < 0:
		return bad("alerts.window_calls", "must not be negative")
	case a.MinObservedCalls < 0:
		return bad("alerts.min_observed_calls", "must not be negative (1 lets every node have a threshold alert)")
	case a.Prefix != "" && !metricNameRE.MatchString(a.Prefix):
		return bad("alerts.prefix", "want a metric name prefix such as traces_spanmetrics")
	case a.HistogramSuffix != "" && !metricNameRE.MatchString("x"+a.HistogramSuffix):
		return bad("alerts.histogram_suffix", "want a suffix such as _bucket")
	}
	for _, l := range []struct{ key, val string }{{"service", a.Labels.Service}, {"span_kind", a.Labels.SpanKind}, {"status_code", a.Labels.Status}} {
		if l.val != "" && !labelNameRE.MatchString(l.val) {
			return bad("alerts.labels."+l.key, fmt.Sprintf("%q is not a label name", l.val))
		}
	}
	for i, w := range a.RateWindows {
		if i > 0 && w.Duration <= a.RateWindows[i-1].Duration {
			return bad("alerts.rate_windows", "want windows in increasing order, such as [5m, 15m, 1h]")
		}
	}
	for i, w := range a.RateWindows {
		if i > 0 && w.Duration <= a.RateWindows[i-1].Duration {
			return bad("alerts.rate_windows", "want windows in increasing order, such as [5m, 15m, 1h]")
		}
	}
	for i, b := range a.Buckets {
		if b <= 0 || i > 0 && b <= a.Buckets[i-1] {
			return bad("alerts.buckets", "want positive bounds in increasing order")
		}
	}
	for i, m := range a.Matchers {
		if err := alerts.CheckMatcher(m); err != nil {
			return bad(fmt.Sprintf("alerts.matchers[%d]", i), err.Error())
		}
	}
	if a.RunbookURL != "" {
		if _, err := RunbookURL(a.RunbookURL, RunbookRef{ID: "RB-001", File: "RB-001-x.md", Slug: "x", Node: "x"}); err != nil {
			return bad("alerts.runbook_url", err.Error())
		}
	}
	for k := range a.PrometheusRule.Labels {
		if !labelNameRE.MatchString(k) {
			return bad("alerts.prometheusrule.labels", fmt.Sprintf("%q is not a label name", k))
		}
	}
	return nil
}

func (c *Config) validateObjectives(file string, doc *yaml.Node) error {
	for _, node := range sortedKeys(c.Objectives) {
		o := c.Objectives[node]
		bad := func(key, msg string) error {
			parts := []string{"objectives", node}
			if key != "" {
				parts = append(parts, strings.Split(key, ".")...)
			}
			return &Error{File: file, Line: lineOfParts(doc, parts), Path: "objectives." + node + pathSuffix(key), Msg: msg}
		}
		switch {
		case o.Availability == 0 && o.Latency == nil:
			return bad("", "give availability (a percentage such as 99.9), latency, or both")
		case o.Availability < 0 || o.Availability >= 100:
			return bad("availability", "is a percentage below 100 (99.9 allows one failure in a thousand)")
		case o.Period.Duration < time.Hour:
			return bad("period", "must be at least 1h (30d is usual)")
		}
		if l := o.Latency; l != nil {
			switch {
			case l.ThresholdMS <= 0:
				return bad("latency.threshold_ms", "must be positive")
			case l.Percent <= 0 || l.Percent >= 100:
				return bad("latency.percent", "is a percentage below 100 (99 means 99% of calls faster than threshold_ms)")
			}
		}
	}
	return nil
}

func pathSuffix(key string) string {
	if key == "" {
		return ""
	}
	return "." + key
}

// RunbookRef is what a runbook_url template sees.
type RunbookRef struct{ ID, File, Slug, Node string }

// RunbookURL expands a runbook_url template.
func RunbookURL(tmpl string, ref RunbookRef) (string, error) {
	t, err := template.New("runbook_url").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("template does not parse: %s", strings.TrimPrefix(err.Error(), "template: runbook_url:"))
	}
	var b strings.Builder
	if err := t.Execute(&b, ref); err != nil {
		return "", fmt.Errorf("template does not expand (it sees .ID, .File, .Slug and .Node): %s", strings.TrimPrefix(err.Error(), "template: runbook_url:"))
	}
	return b.String(), nil
}

// Dialect is the metrics dialect the config names, with its overrides.
func (a Alerts) Dialect() alerts.Dialect {
	d, _ := alerts.NamedDialect(a.Metrics)
	unit := a.DurationUnit
	if unit == "" {
		unit = "s"
		if d.Unit == 0.001 {
			unit = "ms"
		}
	}
	if unit == "ms" && d.Unit != 0.001 || unit == "s" && d.Unit != 1 {
		if d.Name == alerts.DialectOTel {
			d.Histogram = strings.TrimSuffix(d.Histogram, "_milliseconds") + "_seconds"
		}
		d.Unit = map[string]float64{"s": 1, "ms": 0.001}[unit]
	}
	if a.Prefix != "" {
		old := strings.TrimSuffix(d.Calls, "_calls_total")
		d.Calls = a.Prefix + "_calls_total"
		d.Histogram = a.Prefix + strings.TrimPrefix(d.Histogram, old)
	}
	if a.HistogramSuffix != "" {
		d.BucketSuffix = a.HistogramSuffix
	}
	for _, l := range []struct {
		dst *string
		src string
	}{{&d.ServiceLabel, a.Labels.Service}, {&d.SpanKindLabel, a.Labels.SpanKind}, {&d.StatusLabel, a.Labels.Status}} {
		if l.src != "" {
			*l.dst = l.src
		}
	}
	if len(a.Buckets) > 0 {
		d.Buckets = make([]float64, len(a.Buckets))
		for i, b := range a.Buckets {
			d.Buckets[i] = b * d.Unit
		}
	}
	d.Matchers = append([]string(nil), a.Matchers...)
	return d
}

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low"}

var (
	slugRE       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// lineOf finds the line of a dotted key path in the document, 0 if absent.
func lineOf(doc *yaml.Node, path string) int {
	return lineOfParts(doc, strings.Split(path, "."))
}

// lineOfParts is lineOf for a path whose keys may hold dots (node names).
func lineOfParts(doc *yaml.Node, parts []string) int {
	if len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	line := 0
	for _, part := range parts {
		name, idx := part, -1
		if i := strings.Index(part, "["); i >= 0 {
			name = part[:i]
			fmt.Sscanf(part[i:], "[%d]", &idx)
		}
		found := false
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

// IncidentLevel is one row of the SEV table: an incident is at this level
// when at least BadPercent of the entry points' requests failed or were
// slow over an incident of at least Minutes.
type IncidentLevel struct {
	Name       string  `yaml:"name"`
	Severity   string  `yaml:"severity"`
	BadPercent float64 `yaml:"bad_percent"`
	Minutes    float64 `yaml:"minutes"`
}

// DefaultIncidentLevels follow common practice (Atlassian's and
// PagerDuty's incident handbooks): a large share of users failing for
// minutes is SEV1, a noticeable share for a while SEV2, a small one SEV3,
// anything less SEV4.
var DefaultIncidentLevels = []IncidentLevel{
	{Name: "SEV1", Severity: "critical", BadPercent: 50, Minutes: 5},
	{Name: "SEV1", Severity: "critical", BadPercent: 20, Minutes: 15},
	{Name: "SEV2", Severity: "high", BadPercent: 10, Minutes: 10},
	{Name: "SEV2", Severity: "high", BadPercent: 50, Minutes: 1},
	{Name: "SEV3", Severity: "medium", BadPercent: 2, Minutes: 5},
	{Name: "SEV4", Severity: "low", BadPercent: 0, Minutes: 0},
}

// Levels is the SEV table in force.
func (c *Config) Levels() []IncidentLevel {
	if len(c.IncidentLevels) > 0 {
		return c.IncidentLevels
	}
	return DefaultIncidentLevels
}
