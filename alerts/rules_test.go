package alerts

import (
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// expand runs s through Go's text/template as Prometheus does for labels
// and annotations (with a query function that must never be called).
func expand(t *testing.T, s string) string {
	t.Helper()
	called := false
	tmpl, err := template.New("a").Funcs(template.FuncMap{
		"query": func(string) []int { called = true; return nil },
		"first": func(v []int) int { return 0 },
		"value": func(v int) int { return v },
	}).Parse(s)
	if err != nil {
		t.Fatalf("%q does not parse as a template: %v", s, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]any{}); err != nil {
		t.Fatalf("%q does not expand: %v", s, err)
	}
	if called {
		t.Fatalf("%q ran a query", s)
	}
	return b.String()
}

func TestInertStringsExpandToThemselves(t *testing.T) {
	cases := []struct{ name, s string }{
		{"a plain name is left as it is", "checkout"},
		{"a whole action runs nothing", `{{ with query "secret_metric" }}{{ . | first | value }}{{ end }}`},
		{"an unclosed delimiter still parses", "a{{b"},
		{"a lone brace next to a closing pair cannot join it", "{}}"},
		{"braces on either side of an escape stay literal", "{{{x}}}"},
		{"a trimming marker is only text", "{{- x -}}"},
		{"a variable reference is only text", "{{ $value }} {{ $labels.node }}"},
	}
	for _, c := range cases {
		if got := expand(t, Inert(c.s)); got != c.s {
			t.Errorf("%s: %q expands to %q", c.name, c.s, got)
		}
	}
}

func FuzzInert(f *testing.F) {
	for _, s := range []string{"", "a{{b", "{}}", `{{ query "x" }}`, "}}{{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := expand(t, Inert(s)); got != s {
			t.Errorf("%q expands to %q", s, got)
		}
	})
}

func TestMarshalKeepsNamesInsideTheirScalars(t *testing.T) {
	f := File{Groups: []Group{{Name: "rbgen", Rules: []Rule{{
		Alert: "X", Expr: "up == 0\n", For: "5m",
		Text: Text{Labels: map[string]string{"node": Inert("a\n  b: c # d"), "symptom": "s"},
			Annotations: map[string]string{"summary": Inert("'\"{{ x }}")}},
	}}}}}
	out, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back File
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := back.Groups[0].Rules[0].Labels["node"]; got != Inert("a\n  b: c # d") {
		t.Errorf("node label came back as %q:\n%s", got, out)
	}
	if len(back.Groups[0].Rules[0].Labels) != 2 {
		t.Errorf("a name added labels:\n%s", out)
	}
}
