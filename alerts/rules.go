// Package alerts models Prometheus rule files and writes them from structs,
// never from strings pasted together, so that what trace data names
// (services, operations, peers) cannot change a rule's shape or what it
// does when it fires.
//
// Prometheus expands every alerting rule's labels and annotations as Go
// templates, with functions such as query that run PromQL. A span named
// `{{ with query "secret" }}…{{ end }}` copied into a summary would run
// that query in the alert; Inert makes such a string print itself instead.
package alerts

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is a Prometheus rules file, as `promtool check rules`, a Prometheus
// server and the Mimir, Cortex and Thanos rulers read it.
type File struct {
	Groups []Group `yaml:"groups"`
}

// Group is one rule group: its rules are evaluated together, in order.
type Group struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
// Label and annotation values are written as given: pass any text from
// trace data through Inert first.
type Rule struct {
	Alert  string `yaml:"alert,omitempty"`
	Record string `yaml:"record,omitempty"`
	Expr   string `yaml:"expr"`
	For    string `yaml:"for,omitempty"`
	Text   `yaml:",inline"`
}

// Text is what a rule attaches to its alerts or series. Prometheus expands
// both maps' values as templates.
type Text struct {
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Marshal writes the file as YAML, two-space indented, keys of labels and
// annotations sorted, so the same rules give the same bytes.
func Marshal(f File) ([]byte, error) {
	return encode(f)
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("marshal rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal rules: %w", err)
	}
	return buf.Bytes(), nil
}

// inert turns every brace into an action that prints it, in one pass, so
// the output holds no brace outside those actions: a lone "{" next to an
// escaped "}}" cannot join it into a delimiter.
var inert = strings.NewReplacer("{", `{{ "{" }}`, "}", `{{ "}" }}`)

// Inert makes s print itself when Prometheus expands it as a template:
// `a{{b` becomes `a{{ "{" }}{{ "{" }}b`, which expands to `a{{b`, and a
// whole action in a name runs nothing. Strings without braces are
// returned as they are.
func Inert(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	return inert.Replace(s)
}

// MarshalRules writes rules as a YAML list, the shape they take under a
// group's rules key: what a runbook shows of its own rule.
func MarshalRules(rules []Rule) ([]byte, error) {
	return encode(rules)
}

// PrometheusRule is the prometheus-operator's custom resource holding rule
// groups; the operator loads its spec into the Prometheus it manages.
type PrometheusRule struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       File     `yaml:"spec"`
}

// Metadata is a Kubernetes object's name, namespace and labels.
type Metadata struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

// MarshalPrometheusRule writes the groups as a PrometheusRule object.
func MarshalPrometheusRule(f File, meta Metadata) ([]byte, error) {
	return encode(PrometheusRule{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule", Metadata: meta, Spec: f})
}
