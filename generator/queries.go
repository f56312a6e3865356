package generator

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/rbgen/rbgen/topology"
)

// quoted writes a double-quoted string literal as TraceQL and PromQL read
// it (both unquote as Go does): backslash and quote escaped, and in a name
// that holds a template delimiter ({{, {%, {#) every brace written as
// \u007b, so Hugo and Jinja (MkDocs macros) find no shortcode or tag in
// the query a runbook shows, while the query still means the same name.
func quoted(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(Clean(s))
	if templateSyntax(s) {
		s = strings.ReplaceAll(s, "{", `\u007b`)
	}
	return `"` + s + `"`
}

// templateSyntax says s holds what Hugo shortcodes ({{< {{%) or Jinja
// ({{ {% {#) would read as their own.
func templateSyntax(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// TraceQL builds queries for the spans of a node.

// nodeSelector selects the spans in which a node does its work: its own
// inbound spans, or for a virtual node its callers' client spans.
func nodeSelector(n topology.Node) []string {
	if !n.Virtual {
		conds := []string{"resource.service.name = " + quoted(n.Name)}
		if k := traceqlKind(n.SpanKinds); k != "" {
			conds = append(conds, k)
		}
		return conds
	}
	conds := []string{"kind = client"}
	for _, m := range n.Match {
		conds = append(conds, attrCondition(m))
	}
	if len(n.Match) == 0 {
		conds = append(conds, "span.peer.service = "+quoted(n.Name))
	}
	return conds
}

// TraceQLSelector is the condition that selects a node's spans: its
// inbound spans, or for a virtual node its callers' client spans. The
// Tempo source counts a virtual node's calls by it.
func TraceQLSelector(n topology.Node) string { return strings.Join(nodeSelector(n), " && ") }

// traceqlKind narrows to the kinds of span the node receives on.
func traceqlKind(kinds []string) string {
	var out []string
	for _, k := range kinds {
		switch k {
		case "SPAN_KIND_SERVER":
			out = append(out, "kind = server")
		case "SPAN_KIND_CONSUMER":
			out = append(out, "kind = consumer")
		}
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return "(" + strings.Join(out, " || ") + ")"
}

// attrCondition turns a match attribute into a TraceQL condition. A key
// ending in " host" matches the host part of a URL attribute.
func attrCondition(a topology.Attr) string {
	if a.Key == "name" {
		return "name = " + quoted(a.Value)
	}
	if key, ok := strings.CutSuffix(a.Key, topology.RegexSuffix); ok {
		return "span." + traceqlKey(key) + " =~ " + quoted("^"+a.Value+"$")
	}
	if key, ok := strings.CutSuffix(a.Key, " host"); ok {
		re := `^[a-z]+://` + regexp.QuoteMeta(a.Value) + `([:/].*)?$`
		return "span." + key + " =~ " + quoted(re)
	}
	return "span." + traceqlKey(a.Key) + " = " + quoted(a.Value)
}

// traceqlKey quotes an attribute name TraceQL cannot read bare.
func traceqlKey(k string) string {
	for _, r := range k {
		if !(r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return quoted(k)
		}
	}
	return k
}

func spanset(conds ...string) string {
	return "{ " + strings.Join(conds, " && ") + " }"
}

// TraceQLErrors finds the node's failing spans.
func TraceQLErrors(n topology.Node) string {
	return spanset(append(nodeSelector(n), "status = error")...)
}

// TraceQLSlow finds the node's spans slower than the threshold.
func TraceQLSlow(n topology.Node, thresholdMS float64) string {
	return spanset(append(nodeSelector(n), "duration > "+traceqlDuration(thresholdMS))...)
}

// TraceQLOperation finds one operation's spans, failing or slow.
func TraceQLOperation(n topology.Node, op topology.Operation, symptom string, thresholdMS float64) string {
	conds := nodeSelector(n)
	for _, m := range op.Match {
		conds = append(conds, attrCondition(m))
	}
	return spanset(append(conds, symptomCondition(symptom, thresholdMS))...)
}

// TraceQLDownstream finds calls from n to dep that fail or are slow, with
// dep's spans under n's.
func TraceQLDownstream(n, dep topology.Node, symptom string, thresholdMS float64) string {
	cond := symptomCondition(symptom, thresholdMS)
	if dep.Virtual {
		conds := append([]string{"resource.service.name = " + quoted(n.Name)}, nodeSelector(dep)...)
		return spanset(append(conds, cond)...)
	}
	return spanset("resource.service.name = "+quoted(n.Name)) + " >> " +
		spanset(append(nodeSelector(dep), cond)...)
}

func symptomCondition(symptom string, thresholdMS float64) string {
	if symptom == SymptomLatency {
		return "duration > " + traceqlDuration(thresholdMS)
	}
	return "status = error"
}

func traceqlDuration(ms float64) string {
	if ms >= 1000 && ms == float64(int64(ms/1000))*1000 {
		return strconv.FormatInt(int64(ms/1000), 10) + "s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
}

// peerLabel is the name Tempo's service graph gives a virtual node: the
// value of the first peer attribute, or a pattern for a subnet's.
func peerLabel(n topology.Node) (label string, pattern bool) {
	if len(n.Match) > 0 {
		return n.Match[0].Value, strings.HasSuffix(n.Match[0].Key, topology.RegexSuffix)
	}
	return n.Name, false
}

// ExploreURL links a TraceQL query into Grafana Explore, or returns "" when
// no Grafana is configured.
func ExploreURL(grafana, datasource, query string) string {
	if grafana == "" {
		return ""
	}
	if datasource == "" {
		datasource = "tempo"
	}
	pane := map[string]any{"a": map[string]any{
		"datasource": datasource,
		"queries": []any{map[string]any{
			"refId": "A", "queryType": "traceql", "query": query,
			"datasource": map[string]string{"type": "tempo", "uid": datasource},
		}},
		"range": map[string]string{"from": "now-1h", "to": "now"},
	}}
	b, _ := json.Marshal(pane)
	return strings.TrimRight(grafana, "/") + "/explore?schemaVersion=1&panes=" + url.QueryEscape(string(b))
}
