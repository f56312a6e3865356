package alerts

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Dialect names the series a span-metrics pipeline writes: which metrics,
// which labels, which duration unit and which histogram buckets. A rule
// written for one dialect matches nothing in another, so the rules file is
// written for the dialect the team runs.
//
// The names and defaults are checked against each project's own source:
//   - Tempo's metrics-generator: modules/generator/processor/spanmetrics
//     (traces_spanmetrics_calls_total and traces_spanmetrics_latency,
//     labels service, span_kind, status_code; buckets
//     prometheus.ExponentialBuckets(0.002, 2, 14) seconds) and
//     modules/generator/processor/servicegraphs
//     (traces_service_graph_request_total, _failed_total,
//     _client_seconds; labels client, server; buckets
//     ExponentialBuckets(0.1, 2, 8) seconds).
//   - The OpenTelemetry Collector's (and Grafana Alloy's) spanmetrics
//     connector, connector/spanmetricsconnector in collector-contrib: the
//     calls sum and duration histogram under the namespace
//     traces.span.metrics, in milliseconds by default, default buckets
//     2ms … 15s; Prometheus exporters write them as
//     traces_span_metrics_calls_total and
//     traces_span_metrics_duration_milliseconds_bucket with the label
//     service_name. Its servicegraph connector writes Tempo's service-graph
//     names.
type Dialect struct {
	Name string
	// Calls is the span counter; Histogram the duration histogram's name
	// without the bucket suffix, which BucketSuffix holds.
	Calls, Histogram, BucketSuffix string
	// ServiceLabel, SpanKindLabel and StatusLabel are the label names;
	// ErrorStatus the status value of a failed span.
	ServiceLabel, SpanKindLabel, StatusLabel, ErrorStatus string
	// Unit is the histogram's unit in seconds (0.001 for milliseconds);
	// Buckets its upper bounds, in seconds.
	Unit    float64
	Buckets []float64
	// Graph* are the service-graph series, which measure calls to nodes
	// that send no spans of their own (databases, external APIs).
	GraphRequests, GraphFailed, GraphHistogram string
	GraphClient, GraphServer                   string
	GraphUnit                                  float64
	GraphBuckets                               []float64
	// Matchers are added to every selector, such as cluster="prod".
	Matchers []string
}

// Dialect names.
const (
	DialectTempo = "tempo"
	DialectOTel  = "otel-spanmetrics"
)

// Dialects lists the built-in dialects.
var Dialects = []string{DialectTempo, DialectOTel}

func exponential(start, factor float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start
		start *= factor
	}
	return out
}

// otelBucketsMS are the spanmetrics connector's default explicit buckets.
var otelBucketsMS = []float64{2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000}

// NamedDialect returns a built-in dialect with its defaults.
func NamedDialect(name string) (Dialect, bool) {
	tempoGraph := Dialect{
		GraphRequests: "traces_service_graph_request_total", GraphFailed: "traces_service_graph_request_failed_total",
		GraphHistogram: "traces_service_graph_request_client_seconds", GraphClient: "client", GraphServer: "server",
		GraphUnit: 1, GraphBuckets: exponential(0.1, 2, 8),
	}
	switch name {
	case DialectTempo, "":
		d := tempoGraph
		d.Name = DialectTempo
		d.Calls, d.Histogram, d.BucketSuffix = "traces_spanmetrics_calls_total", "traces_spanmetrics_latency", "_bucket"
		d.ServiceLabel, d.SpanKindLabel, d.StatusLabel, d.ErrorStatus = "service", "span_kind", "status_code", "STATUS_CODE_ERROR"
		d.Unit, d.Buckets = 1, exponential(0.002, 2, 14)
		return d, true
	case DialectOTel:
		d := tempoGraph
		d.Name = DialectOTel
		d.Calls, d.Histogram, d.BucketSuffix = "traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds", "_bucket"
		d.ServiceLabel, d.SpanKindLabel, d.StatusLabel, d.ErrorStatus = "service_name", "span_kind", "status_code", "STATUS_CODE_ERROR"
		d.Unit = 0.001
		for _, ms := range otelBucketsMS {
			d.Buckets = append(d.Buckets, ms/1000)
		}
		d.GraphBuckets = d.Buckets
		return d, true
	}
	return Dialect{}, false
}

var matcherRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"$`)

// CheckMatcher says what is wrong with a label matcher, or nil.
func CheckMatcher(m string) error {
	if !matcherRE.MatchString(strings.TrimSpace(m)) {
		return fmt.Errorf("want a label matcher such as cluster=\"prod\", got %q", m)
	}
	return nil
}

// Target is the series of one node in a dialect: what a rule selects and
// what the backtest records.
type Target struct {
	Calls, Bucket string
	// Selector matches the node's series; ErrorSelector its failed calls,
	// on Calls or on ErrorCalls when failures have a metric of their own.
	Selector, ErrorSelector string
	ErrorCalls              string
	Unit                    float64
	Buckets                 []float64
}

// Service is the target of a service's own spans of the given kinds
// (SPAN_KIND_SERVER, …).
func (d Dialect) Service(name string, kinds []string) Target {
	sel := []string{d.ServiceLabel + "=" + Quote(name)}
	switch len(kinds) {
	case 0:
	case 1:
		sel = append(sel, d.SpanKindLabel+"="+Quote(kinds[0]))
	default:
		k := append([]string(nil), kinds...)
		sort.Strings(k)
		sel = append(sel, d.SpanKindLabel+"=~"+Quote(strings.Join(k, "|")))
	}
	sel = append(sel, d.Matchers...)
	return Target{Calls: d.Calls, Bucket: d.Histogram + d.BucketSuffix, ErrorCalls: d.Calls,
		Selector:      strings.Join(sel, ", "),
		ErrorSelector: strings.Join(append(sel, d.StatusLabel+"="+Quote(d.ErrorStatus)), ", "),
		Unit:          d.Unit, Buckets: d.Buckets}
}

// Peer is the target of calls to a node that sends no spans, as the
// service graph names it (its server label).
func (d Dialect) Peer(server string) Target {
	sel := strings.Join(append([]string{d.GraphServer + "=" + Quote(server)}, d.Matchers...), ", ")
	return Target{Calls: d.GraphRequests, ErrorCalls: d.GraphFailed, Bucket: d.GraphHistogram + d.BucketSuffix,
		Selector: sel, ErrorSelector: sel, Unit: d.GraphUnit, Buckets: d.GraphBuckets}
}

// PeerMatching is Peer for every server whose name matches a regular
// expression (Prometheus anchors it): the addresses of a subnet.
func (d Dialect) PeerMatching(pattern string) Target {
	t := d.Peer("")
	sel := strings.Join(append([]string{d.GraphServer + "=~" + Quote(pattern)}, d.Matchers...), ", ")
	t.Selector, t.ErrorSelector = sel, sel
	return t
}

// Quote writes a PromQL string literal. Prometheus unquotes as Go does;
// braces are written as \u007b and \u007d so no template engine that reads
// the rules file (Prometheus's own, when a selector is shown in an
// annotation; Helm; Jinja) finds a delimiter in it.
func Quote(s string) string {
	q := strconv.Quote(s)
	return strings.NewReplacer("{", `\u007b`, "}", `\u007d`).Replace(q)
}

// LE formats a bucket bound, in the histogram's unit, as the le label
// holds it: strconv's shortest 'f' form, as Tempo's registry and the
// Prometheus client write it.
func LE(seconds, unit float64) string {
	v := seconds / unit
	// Undo float noise from the unit conversion (0.256/0.001).
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// RoundUpToBucket is the smallest bucket bound at or above v (seconds), so
// a threshold sits on a bucket edge. Beyond the highest bound that a
// quantile can exceed, it is that bound: histogram_quantile never returns
// more than the highest finite bound, so a threshold at the top could not
// fire. It also says whether v moved.
func RoundUpToBucket(v float64, buckets []float64) (float64, bool) {
	if len(buckets) < 2 {
		return v, false
	}
	top := buckets[len(buckets)-2]
	for _, b := range buckets[:len(buckets)-1] {
		if b >= v*(1-1e-9) {
			return b, b != v
		}
	}
	return top, top != v
}
