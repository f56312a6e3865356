package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/promtest"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/internal/tempotest"
)

// request is one web → api request; failed makes api's span fail.
func request(id string, startMS float64, failed bool) []spantest.Span {
	status := ptrace.StatusCodeUnset
	if failed {
		status = ptrace.StatusCodeError
	}
	return []spantest.Span{
		{Trace: id, ID: id + "w", Svc: "web", Name: "GET /", Kind: ptrace.SpanKindServer, Start: startMS, Dur: 30},
		{Trace: id, ID: id + "c", Parent: id + "w", Svc: "web", Name: "GET /api", Kind: ptrace.SpanKindClient, Start: startMS + 2, Dur: 20},
		{Trace: id, ID: id + "a", Parent: id + "c", Svc: "api", Name: "GET /api", Kind: ptrace.SpanKindServer, Start: startMS + 3, Dur: 18, Status: status},
	}
}

// TestAlertFiresInPrometheusFromTempoMetrics is the alert loop end to end:
// rbgen writes the rules from an hour of healthy traces; a real Prometheus
// loads them and receives the real Tempo metrics-generator's span metrics
// by remote write; live traffic pushed into Tempo turns to 60% failures at
// api, and api's error alert reaches firing in Prometheus, then clears
// once the failures stop. Windows and `for` are short for the test.
func TestAlertFiresInPrometheusFromTempoMetrics(t *testing.T) {
	dir := t.TempDir()
	var lines bytes.Buffer
	var m ptrace.JSONMarshaler
	for i := 0; i < 600; i++ { // an hour, ten requests a minute
		b, err := m.MarshalTraces(spantest.Batch(request(fmt.Sprintf("base%04d", i), float64(i)*6000, false)...))
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(append(b, '\n'))
	}
	input := filepath.Join(dir, "healthy.otlp.jsonl")
	cfgPath := filepath.Join(dir, "rbgen.yaml")
	os.WriteFile(input, lines.Bytes(), 0o644)
	os.WriteFile(cfgPath, []byte("base_url: https://ops.example.com/\nthresholds:\n  for: 20s\nalerts:\n  rate_windows: [1m]\n"), 0o644)
	out := filepath.Join(dir, "runbooks")
	if code, _, stderr := runCmd(t, "", "generate", "-q", "--input", input, "--config", cfgPath, "--out", out); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}

	prom := promtest.Start(t, filepath.Join(out, generator.AlertsFile), 2*time.Second)
	tempo := tempotest.Start(t, tempotest.Options{RemoteWrite: prom.URL + "/api/v1/write"})

	n := 0
	push := func(failShare float64) {
		now := uint64(time.Now().UnixNano())
		var spans []spantest.Span
		for i := 0; i < 5; i++ {
			n++
			spans = append(spans, request(fmt.Sprintf("live%06d", n), float64(i)*10, float64(i) < failShare*5)...)
		}
		tempo.Push(t, spantest.BatchFrom(now-100_000_000, spans...), "")
	}
	state := func() string {
		for _, a := range prom.Alerts(t) {
			if a.Labels["alertname"] == "ApiHighErrorRate" {
				return a.State
			}
		}
		return ""
	}
	// Each phase is bounded: traffic every half second until the alert
	// reaches the wanted state or the phase's time is up.
	phase := func(name string, failShare float64, bound time.Duration, until func(string) bool) {
		start := time.Now()
		deadline := start.Add(bound)
		for time.Now().Before(deadline) {
			push(failShare)
			if until != nil && until(state()) {
				t.Logf("%s: reached after %s", name, time.Since(start).Round(time.Second))
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		if until != nil {
			t.Fatalf("%s: ApiHighErrorRate is %q after %s; api calls in Prometheus: %q\nPrometheus:\n%s\nTempo:\n%s",
				name, state(), bound, prom.Query(t, `sum(traces_spanmetrics_calls_total{service="api"})`), prom.Log(), tempo.Log())
		}
	}
	phase("healthy", 0, 30*time.Second, nil)
	if s := state(); s != "" {
		t.Fatalf("ApiHighErrorRate is %q on healthy traffic", s)
	}
	phase("failing", 0.6, 3*time.Minute, func(s string) bool { return s == "firing" })
	for _, a := range prom.Alerts(t) {
		if a.Labels["alertname"] == "ApiHighErrorRate" &&
			(a.Labels["severity"] == "" || a.Labels["rbgen_id"] == "" || a.Labels["node"] != "api") {
			t.Errorf("the firing alert's labels: %v", a.Labels)
		}
	}
	phase("recovered", 0, 3*time.Minute, func(s string) bool { return s == "" })
}
