package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/internal/promtest"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/internal/tempotest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// runWithEnv runs rbgen with a fixed clock and environment.
func runWithEnv(t *testing.T, now time.Time, envVars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		now: func() time.Time { return now }, getenv: func(k string) string { return envVars[k] },
	})
	return code, out.String(), errOut.String()
}

// TestTempoSourceEqualsFiles loads two demo days into a real multi-tenant
// Tempo and runs the commands a user would against it and against the
// same data in a file.
func TestTempoSourceEqualsFiles(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{MultiTenant: true})
	end := time.Now().UTC().Truncate(time.Hour)
	// Two demo days inside a week's lookback: every pull fetches every
	// trace (about 50 a second here), and three pulls of a whole demo week
	// took five minutes of the suite.
	var days bytes.Buffer
	if _, err := demo.Write(&days, demo.Config{Start: end.Add(-2 * 24 * time.Hour), Days: 2}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "days.jsonl")
	os.WriteFile(file, days.Bytes(), 0o644)
	s.Push(t, spantest.Traces(t, days.Bytes()), "team-a")

	cfgPath := filepath.Join(dir, "rbgen.yaml")
	os.WriteFile(cfgPath, []byte("tempo:\n  tenant: team-a\n  token_env: TEST_TEMPO_TOKEN\n"), 0o644)
	secrets := map[string]string{"TEST_TEMPO_TOKEN": "dummy-secret-value"}
	conn := []string{"--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL, "--config", cfgPath}
	tempoArgs := append(append([]string{}, conn...),
		"--lookback-end", end.Format(time.RFC3339), "--lookback", "168h", "--limit-per-window", "1000")

	// Wait (bounded) until the oldest day is searchable.
	deadline := time.Now().Add(150 * time.Second)
	for {
		oldestDay := append(append([]string{"graph", "-q"}, conn...),
			"--lookback-end", end.Add(-24*time.Hour).Format(time.RFC3339), "--lookback", "24h")
		code, _, stderr := runWithEnv(t, end, secrets, oldestDay...)
		if code == exitOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo days not searchable after 150s: %s\n%s", stderr, s.Log())
		}
		time.Sleep(3 * time.Second)
	}

	t.Run("rbgen graph --tempo prints what rbgen graph --input prints", func(t *testing.T) {
		_, fromFile, _ := runWithEnv(t, end, secrets, "graph", "--input", file, "--config", cfgPath)
		code, fromTempo, stderr := runWithEnv(t, end, secrets, append([]string{"graph"}, tempoArgs...)...)
		if code != exitOK || fromTempo != fromFile {
			t.Errorf("exit %d (%s); outputs equal: %v", code, stderr, fromTempo == fromFile)
		}
		var g topology.Graph
		json.Unmarshal([]byte(fromFile), &g)
		want := fmt.Sprintf("tempo: 168/168 windows searched (0 failed), %d traces found, %d fetched (0 failed)", g.Traces, g.Traces)
		if g.Traces < 1000 || !strings.Contains(stderr, want) {
			t.Errorf("coverage line missing or wrong: %s", stderr)
		}
		if strings.Contains(stderr+fromTempo, "dummy-secret-value") {
			t.Error("the token leaked into the output")
		}
		// This Tempo runs no metrics-generator: auto says so and counts.
		if g.StatsSource != topology.StatsTraces || !strings.Contains(stderr, fmt.Sprintf("rbgen: numbers: counted in the %d traces pulled, not exact: ", g.Traces)) ||
			!strings.Contains(stderr, "TraceQL metrics") {
			t.Errorf("stats_source %q; stderr does not say the numbers are counted in the traces, and why: %s", g.StatsSource, stderr)
		}
	})

	t.Run("rbgen generate --tempo writes what rbgen generate --input writes", func(t *testing.T) {
		a, b := filepath.Join(dir, "from-file"), filepath.Join(dir, "from-tempo")
		if code, _, stderr := runWithEnv(t, end, secrets, "generate", "--input", file, "--config", cfgPath, "--out", a); code != 0 {
			t.Fatal(stderr)
		}
		if code, _, stderr := runWithEnv(t, end, secrets, append([]string{"generate", "--out", b}, tempoArgs...)...); code != 0 {
			t.Fatal(stderr)
		}
		fa, fb := readAll(t, a), readAll(t, b)
		if len(fa) < 20 || len(fa) != len(fb) {
			t.Fatalf("%d files from the file, %d from Tempo", len(fa), len(fb))
		}
		for name, body := range fa {
			if fb[name] != body {
				t.Errorf("%s differs", name)
			}
		}
	})

	t.Run("rbgen postmortem --tempo drafts from the window and the days before", func(t *testing.T) {
		out := filepath.Join(dir, "pm")
		winStart := end.Add(-24 * time.Hour)
		code, _, stderr := runWithEnv(t, end, secrets, append(append([]string{"postmortem", "-q", "--out", out,
			"--start", winStart.Format(time.RFC3339), "--end", winStart.Add(time.Hour).Format(time.RFC3339)}, conn...),
			"--limit-per-window", "1000")...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "in the baseline") || !strings.Contains(stderr, "windows searched") {
			t.Errorf("stderr: %s", stderr)
		}
		files, _ := filepath.Glob(filepath.Join(out, "PM-*.md"))
		if len(files) != 1 {
			t.Errorf("drafts written: %v", files)
		}
	})

	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"without a tenant Tempo refuses and rbgen says to check --tenant",
			[]string{"graph", "--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL, "--lookback-end", end.Format(time.RFC3339), "--config", "/dev/null"},
			exitSource, "--tenant"},
		{"a wrong tenant finds nothing and rbgen says so",
			append(append([]string{"graph"}, tempoArgs...), "--tenant", "team-b"), exitSource, "no traces fetched"},
		{"an unreachable address ends with one clear line",
			[]string{"graph", "--tempo", "127.0.0.1:1", "--tempo-http", "http://127.0.0.1:1", "--config", "/dev/null"},
			exitSource, "cannot reach Tempo"},
		{"an empty token variable is a usage error",
			append([]string{"graph"}, tempoArgs...), exitUsage, "TEST_TEMPO_TOKEN"},
		{"--tempo and --input together are refused",
			append([]string{"graph", "--input", file}, tempoArgs...), exitUsage, "alternatives"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := secrets
			if c.wantCode == exitUsage && strings.Contains(c.wantErr, "TOKEN") {
				vars = nil
			}
			code, stdout, stderr := runWithEnv(t, end, vars, append(c.args, "-q")...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if code != c.wantCode || stdout != "" || !strings.Contains(last, c.wantErr) {
				t.Errorf("exit %d, last line %q; want exit %d and %q", code, last, c.wantCode, c.wantErr)
			}
		})
	}
}

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

// TestTempoMetricsGiveExactNumbers pulls a demo day from a real Tempo that
// runs the metrics-generator's local-blocks processor, with a search limit
// of 5 traces an hour: the services' calls and errors are those of every
// span, not of the few traces pulled.
func TestTempoMetricsGiveExactNumbers(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{Metrics: true})
	dir := t.TempDir()
	end, want := pushDemoDay(t, s, dir)

	args := []string{"graph", "-q", "--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL, "--lookback-end", end.Format(time.RFC3339),
		"--lookback", "26h", "--limit-per-window", "5", "--stats", "tempo-metrics"}
	// Metrics count what the generator has flushed: wait (bounded) until
	// two pulls in a row agree.
	var got topology.Graph
	var stderr, last string
	deadline := time.Now().Add(180 * time.Second)
	for {
		code, out, errOut := runWithEnv(t, end, nil, args...)
		stderr = errOut
		if code == exitOK && out == last && strings.Contains(out, `"frontend"`) {
			json.Unmarshal([]byte(out), &got)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stable answer in 180 s: exit %d: %s\n%s", code, errOut, s.Log())
		}
		last = out
		time.Sleep(10 * time.Second)
	}
	if got.StatsSource != topology.StatsTempoMetrics || !got.Sampled || got.Traces >= want.Traces {
		t.Errorf("stats_source %q, sampled %v, %d traces of %d: want tempo-metrics from a sample", got.StatsSource, got.Sampled, got.Traces, want.Traces)
	}
	if !strings.Contains(stderr, "rbgen: numbers: exact, from Tempo's TraceQL metrics over ") {
		t.Errorf("stderr does not say where the numbers came from: %s", stderr)
	}
	services := 0
	for _, w := range want.Nodes {
		g, ok := got.Node(w.Name)
		if w.Kind == topology.KindUser {
			if ok && g.Source != topology.StatsTraces {
				t.Errorf("%s: not measured, yet stats_source %q", w.Name, g.Source)
			}
			continue
		}
		// Databases, caches and the external API are counted on their
		// callers' client spans.
		services++
		if !ok || g.Calls != w.Calls || g.Errors != w.Errors {
			t.Errorf("%s: %d calls, %d errors from metrics; the files say %d, %d", w.Name, g.Calls, g.Errors, w.Calls, w.Errors)
		}
		// Tempo's buckets are powers of two, and with 50 calls the p99 lies
		// between the two slowest, which may straddle a bound: the same
		// bucket or the next.
		if w.P99MS > 0 && (g.P99MS < w.P99MS/4 || g.P99MS > w.P99MS*4) {
			t.Errorf("%s: p99 %.1f ms from metrics, %.1f ms in the files: more than a bucket apart", w.Name, g.P99MS, w.P99MS)
		}
	}
	if services < 14 {
		t.Fatalf("%d nodes compared", services)
	}
	for _, w := range want.Edges {
		g, ok := edgeOf(&got, w.From, w.To)
		// The user's requests and messages through a broker (a link, not a
		// parent) are left to the traces.
		if w.From != "user" && w.Kind != topology.EdgeMessaging && ok && g.Source == topology.StatsTraces {
			t.Errorf("edge %s → %s not measured", w.From, w.To)
		}
		if !ok {
			t.Errorf("edge %s → %s missing from the sampled graph", w.From, w.To)
			continue
		}
		if g.Source == topology.StatsTraces {
			continue
		}
		if d := float64(g.Calls-w.Calls) / float64(w.Calls); d > 0.03 || d < -0.03 {
			t.Errorf("edge %s → %s: %d calls from metrics, %d in the files", w.From, w.To, g.Calls, w.Calls)
		}
	}

	// The runbooks say which numbers are exact and which are not.
	out := filepath.Join(dir, "runbooks")
	gen := append([]string{"generate", "--out", out}, args[1:]...)
	if code, _, stderr := runWithEnv(t, end, nil, gen...); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	docs := readAll(t, out)
	checks := []struct{ file, want string }{
		{"-frontend-high-error-rate.md", "Numbers: exact, from Tempo's TraceQL metrics over "},
		{"-frontend-high-error-rate.md", "stats_source: tempo-metrics"},
		{"-frontend-high-error-rate.md", " (in the traces read) |"}, // the user's calls
		{"-frontend-high-error-rate.md", "Not backtested: the thresholds and traffic guards are sized on exact counts"},
		{"-orders-db-orders-degraded.md", "Numbers: exact, from Tempo's TraceQL metrics over "},
		{"README.md", "| Tempo metrics |"},
	}
	for _, c := range checks {
		found := false
		for name, body := range docs {
			if strings.HasSuffix(name, c.file) {
				found = true
				if !strings.Contains(body, c.want) {
					t.Errorf("%s lacks %q", name, c.want)
				}
			}
		}
		if !found {
			t.Errorf("no %s", c.file)
		}
	}
}

func edgeOf(g *topology.Graph, from, to string) (topology.Edge, bool) {
	for _, e := range g.Downstream(from) {
		if e.To == to {
			return e, true
		}
	}
	return topology.Edge{}, false
}

// TestEveryRarePathIsFound pulls a busy day of about 7,000 traces from a
// real Tempo with the default limits (20 traces an hour, about 7 % of
// them). An admin export called 5 times that day is in few or none of the
// windows' traces; TraceQL metrics list it, the pull searches for it on its
// own, and its edges are in the graph. (A day, not a week: the same odds
// of sampling it, and a week of 50,000 traces took six minutes of the
// suite; make bench times a pull of that week.)
func TestEveryRarePathIsFound(t *testing.T) {
	s := tempotest.Start(t, tempotest.Options{Metrics: true})
	end := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	var day bytes.Buffer
	stats, err := demo.Write(&day, demo.Config{Start: end.Add(-25 * time.Hour), Days: 1, PeakPerHour: 490, Rare: 5})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Traces < 6000 {
		t.Fatalf("%d traces, want about 7,000", stats.Traces)
	}
	// Push in pieces: the day is too big to hold as one ptrace.Traces.
	part := ptrace.NewTraces()
	err = (&tracefile.Reader{Paths: []string{"-"}, Stdin: &day, Reference: true}).Stream(context.Background(), func(b topology.Batch) error {
		b.Traces.ResourceSpans().MoveAndAppendTo(part.ResourceSpans())
		if part.SpanCount() > 20000 {
			s.Push(t, part, "")
			part = ptrace.NewTraces()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Push(t, part, "")

	args := []string{"graph", "-q", "--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL, "--lookback-end", end.Format(time.RFC3339),
		"--lookback", "26h", "--stats", "tempo-metrics"}
	deadline := time.Now().Add(360 * time.Second)
	for {
		code, out, stderr := runWithEnv(t, end, nil, args...)
		var g topology.Graph
		json.Unmarshal([]byte(out), &g)
		export, _ := edgeOf(&g, "frontend", "reports")
		db, _ := edgeOf(&g, "reports", "warehouse-db/warehouse")
		if code == exitOK && export.Calls > 0 && db.Calls > 0 {
			if g.Traces > 600 {
				t.Errorf("%d traces pulled: the default limits should pull about 500", g.Traces)
			}
			if !strings.Contains(stderr, "operations: ") || !strings.Contains(stderr, "searched for on their own") {
				t.Errorf("the coverage line does not count the operations: %s", stderr)
			}
			if export.Calls != 5 || export.Source != "" {
				t.Errorf("frontend → reports: %d calls (stats_source %q), want the exact 5", export.Calls, export.Source)
			}
			t.Log(stderr)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rare export's edges are not in the graph after 360 s (exit %d): %s\n%s", code, stderr, out)
		}
		time.Sleep(10 * time.Second)
	}
}

// TestPrometheusGivesExactNumbers runs the real Tempo's metrics-generator
// into a real Prometheus over remote write, and takes the graph's shape
// from a 5-an-hour sample pulled from Tempo and its numbers from the span
// metrics: every service's calls and errors are the files' own.
func TestPrometheusGivesExactNumbers(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("groups: []\n"), 0o644)
	prom := promtest.Start(t, rules, 2*time.Second)
	s := tempotest.Start(t, tempotest.Options{Metrics: true, RemoteWrite: prom.URL + "/api/v1/write"})
	_, want := pushDemoDay(t, s, dir)
	frontend, _ := want.Node("frontend")

	// Bounded waits: the generator's counters reach Prometheus, and the
	// traces become searchable.
	deadline := time.Now().Add(180 * time.Second)
	for prom.Query(t, `sum(traces_spanmetrics_calls_total{service="frontend", span_kind="SPAN_KIND_SERVER"})`) != fmt.Sprint(frontend.Calls) {
		if time.Now().After(deadline) {
			t.Fatalf("frontend's calls never reached Prometheus: %s\n%s", prom.Log(), s.Log())
		}
		time.Sleep(3 * time.Second)
	}
	for {
		now := time.Now().UTC().Add(time.Minute)
		args := []string{"-q", "--tempo", s.GRPCAddr, "--tempo-http", s.HTTPURL,
			"--lookback-end", now.Format(time.RFC3339), "--lookback", "27h", "--limit-per-window", "5", "--prometheus", prom.URL}
		code, out, stderr := runWithEnv(t, now, nil, append([]string{"graph"}, args...)...)
		if code == exitOK {
			var got topology.Graph
			json.Unmarshal([]byte(out), &got)
			// The generator's series for the other services may still be
			// on their way: measure again until they agree or time is up.
			if problems := prometheusProblems(&want, &got, stderr); len(problems) > 0 {
				if time.Now().Before(deadline) {
					time.Sleep(5 * time.Second)
					continue
				}
				for _, p := range problems {
					t.Error(p)
				}
			}
			// The alerts are backtested by Prometheus itself.
			runbooks := filepath.Join(dir, "runbooks")
			if code, _, stderr := runWithEnv(t, now, nil, append([]string{"generate", "--out", runbooks}, args...)...); code != exitOK {
				t.Fatalf("generate: exit %d: %s", code, stderr)
			}
			found := false
			for name, body := range readAll(t, runbooks) {
				if !strings.HasSuffix(name, "-frontend-high-error-rate.md") {
					continue
				}
				found = true
				if i := strings.Index(body, "Backtest:"); i >= 0 {
					t.Log(body[i:min(len(body), i+300)])
				}
				for _, want := range []string{"stats_source: prometheus", "Numbers: exact, from the span-metrics and service-graph series in Prometheus",
					"Backtest: over its own series in Prometheus, evaluated there ("} {
					if !strings.Contains(body, want) {
						t.Errorf("%s lacks %q", name, want)
					}
				}
			}
			if !found {
				t.Error("no frontend error runbook")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		time.Sleep(5 * time.Second)
	}
}

// prometheusProblems lists where the graph measured by Prometheus differs
// from the files': every service's calls and errors exactly, p99 to a
// factor of four, service-to-service edges to 3 %.
func prometheusProblems(want, got *topology.Graph, stderr string) []string {
	var out []string
	if got.StatsSource != topology.StatsPrometheus || !strings.Contains(stderr, "rbgen: numbers: exact, from the span metrics in Prometheus over ") {
		out = append(out, fmt.Sprintf("stats_source %q; stderr: %s", got.StatsSource, stderr))
	}
	services := 0
	for _, w := range want.Nodes {
		if w.Virtual || w.Kind == topology.KindUser {
			continue
		}
		services++
		g, ok := got.Node(w.Name)
		if !ok || g.Calls != w.Calls || g.Errors != w.Errors || g.Source != "" {
			out = append(out, fmt.Sprintf("%s: %d calls, %d errors from Prometheus (stats_source %q); the files say %d, %d", w.Name, g.Calls, g.Errors, g.Source, w.Calls, w.Errors))
		}
		if w.P99MS > 0 && (g.P99MS < w.P99MS/4 || g.P99MS > w.P99MS*4) {
			out = append(out, fmt.Sprintf("%s: p99 %.1f ms from Prometheus, %.1f ms in the files", w.Name, g.P99MS, w.P99MS))
		}
	}
	for _, w := range want.Edges {
		g, ok := edgeOf(got, w.From, w.To)
		if !ok || g.Source == topology.StatsTraces {
			continue
		}
		if d := float64(g.Calls-w.Calls) / float64(w.Calls); d > 0.03 || d < -0.03 {
			out = append(out, fmt.Sprintf("edge %s → %s: %d calls from Prometheus, %d in the files", w.From, w.To, g.Calls, w.Calls))
		}
	}
	if services < 10 {
		out = append(out, fmt.Sprintf("%d services compared", services))
	}
	return out
}

// pushDemoDay pushes the demo day before the coming hour into s, and
// returns that hour and the graph of the same day read from a file.
func pushDemoDay(t *testing.T, s *tempotest.Server, dir string) (time.Time, topology.Graph) {
	t.Helper()
	end := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	var day bytes.Buffer
	if _, err := demo.Write(&day, demo.Config{Start: end.Add(-25 * time.Hour), Days: 1}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "day.jsonl")
	os.WriteFile(file, day.Bytes(), 0o644)
	s.Push(t, spantest.Traces(t, day.Bytes()), "")
	_, fromFile, _ := runWithEnv(t, end, nil, "graph", "--input", file)
	var want topology.Graph
	json.Unmarshal([]byte(fromFile), &want)
	return end, want
}
