package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
	"github.com/rbgen/rbgen/internal/progress"
	"github.com/rbgen/rbgen/prometheus"
	"github.com/rbgen/rbgen/tempo"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// sourceFlags are the flags of every command that reads traces: files or
// Tempo, and the config file (which may say where Tempo is).
type sourceFlags struct {
	inputs       []string
	demo         bool
	skipBad      bool
	horizon      time.Duration
	maxOpenSpans int
	maxRecordMiB int
	config       string
	environment  string

	tempo app.TempoFlags
	// stats is where a Tempo pull's numbers come from: auto,
	// tempo-metrics or traces.
	stats string
	// prometheus and promTenant name the Prometheus to take the numbers
	// from, over the config file's.
	prometheus, promTenant string
	// prom is the Prometheus the numbers came from, once asked.
	prom  *prometheus.Client
	quiet bool
}

func (f *sourceFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVarP(&f.inputs, "input", "i", nil,
		"trace `PATH`: a file, a directory, a glob or - for stdin (repeatable; extra arguments are inputs too)")
	fl.BoolVar(&f.demo, "demo", false, "read the bundled demo week (a 12-service shop) instead of --input")
	fl.BoolVar(&f.skipBad, "skip-bad", false, "skip malformed records and report how many, instead of failing")
	fl.DurationVar(&f.horizon, "trace-horizon", topology.DefaultHorizon,
		"close a trace once this much trace time passes without a new span for it")
	fl.IntVar(&f.maxOpenSpans, "max-open-spans", topology.DefaultMaxOpenSpans,
		"spans held for open traces before the longest-waiting are closed early")
	fl.IntVar(&f.maxRecordMiB, "max-record-mib", tracefile.DefaultMaxRecord>>20,
		"largest JSON line, JSON document or protobuf message read, in MiB")
	fl.StringVar(&f.config, "config", "", "config `FILE` (default rbgen.yaml, if present)")
	fl.StringVar(&f.environment, "environment", "", "keep the spans of this deployment.environment.name `NAME` (default: environment in the config); traces holding several are refused without it")

	fl.StringVar(&f.tempo.GRPC, "tempo", "", "pull traces from Tempo: its gRPC `HOST:PORT` (search)")
	fl.StringVar(&f.tempo.HTTP, "tempo-http", "", "Tempo's HTTP API `URL` (fetch by ID), e.g. http://tempo:3200")
	fl.StringVar(&f.tempo.Tenant, "tenant", "", "Tempo tenant, sent as X-Scope-OrgID")
	fl.StringVar(&f.tempo.Query, "query", "", "TraceQL selecting the traces to pull (default {})")
	fl.DurationVar(&f.tempo.Lookback, "lookback", tempo.DefaultLookback, "how far back from --lookback-end to pull")
	fl.StringVar(&f.tempo.End, "lookback-end", "", "end of the lookback, RFC 3339 (default now)")
	fl.DurationVar(&f.tempo.Window, "window", tempo.DefaultWindow, "search the lookback in windows this long")
	fl.IntVar(&f.tempo.Limit, "limit-per-window", tempo.DefaultLimitPerWindow, "traces to pull from each window")
	fl.IntVar(&f.tempo.Concurrency, "concurrency", tempo.DefaultConcurrency, "traces fetched in parallel")
	fl.IntVar(&f.tempo.MinPerOp, "min-per-operation", tempo.DefaultMinPerOperation,
		"with TraceQL metrics, search on its own for every operation the windows sampled fewer times than this")
	fl.BoolVar(&f.tempo.TLS, "tempo-tls", false, "use TLS for the gRPC connection (https URLs use it for HTTP)")
	fl.StringVar(&f.tempo.CA, "tempo-ca", "", "CA certificate `FILE` to verify Tempo with")
	fl.StringVar(&f.tempo.Cert, "tempo-cert", "", "client certificate `FILE` for mutual TLS")
	fl.StringVar(&f.tempo.Key, "tempo-key", "", "client key `FILE` for mutual TLS")
	fl.BoolVar(&f.tempo.InsecureSkipVerify, "insecure-skip-verify", false, "do not verify Tempo's certificate (test servers only)")
	fl.StringVar(&f.stats, "stats", statsAuto, "where a Tempo pull's calls, errors and latencies come from: auto (TraceQL metrics when Tempo answers them, else the traces pulled), tempo-metrics or traces")
	fl.StringVar(&f.prometheus, "prometheus", "", "take the numbers from the span-metrics and service-graph series in this Prometheus (or Mimir) API `URL`, e.g. http://prometheus:9090")
	fl.StringVar(&f.promTenant, "prometheus-tenant", "", "Prometheus (Mimir) tenant, sent as X-Scope-OrgID")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar or progress lines")
	_ = c.MarkFlagFilename("input")
	_ = c.MarkFlagFilename("config", "yaml", "yml")
}

// reader reads the given paths with the flags' limits, saying on stderr
// which entries of a folder it passes over.
func (f *sourceFlags) reader(e *env, paths []string) *tracefile.Reader {
	return &tracefile.Reader{Paths: paths, Stdin: e.stdin, SkipBad: f.skipBad, MaxRecord: f.maxRecordMiB << 20,
		OnSkip: func(name, why string) { fmt.Fprintf(e.stderr, "rbgen: skipped %s: %s\n", name, why) }}
}

// loadConfig reads --config, or rbgen.yaml when present.
func (f *sourceFlags) loadConfig() (*config.Config, error) {
	path, required := f.config, true
	if path == "" {
		path, required = "rbgen.yaml", false
	}
	c, err := config.Load(path, required)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// build reads the sources named by the flags (and extra arguments) into a
// graph, and says on stderr what it read.
func (f *sourceFlags) build(ctx context.Context, e *env, args []string, cfg *config.Config) (*topology.Graph, error) {
	return f.buildWith(ctx, e, args, cfg, nil)
}

// buildWith is build into a given builder (one that also profiles an
// incident, say), or a new one when b is nil.
func (f *sourceFlags) buildWith(ctx context.Context, e *env, args []string, cfg *config.Config, b *topology.Builder) (*topology.Graph, error) {
	inputs := append(append([]string(nil), f.inputs...), args...)
	useTempo := f.tempo.GRPC != "" || f.tempo.HTTP != "" || (len(inputs) == 0 && !f.demo && cfg.Tempo.GRPC != "")
	switch {
	case f.demo && (len(inputs) > 0 || useTempo):
		return nil, usagef("--demo, --input and --tempo are alternatives: give one")
	case len(inputs) > 0 && useTempo:
		return nil, usagef("--input and --tempo are alternatives: give one")
	case !f.demo && len(inputs) == 0 && !useTempo:
		return nil, usagef("no traces to read: give --input PATH, --tempo HOST:PORT (or tempo.grpc in rbgen.yaml), or --demo for the bundled demo week")
	case f.horizon <= 0 || f.maxOpenSpans <= 0 || f.maxRecordMiB <= 0:
		return nil, usagef("--trace-horizon, --max-open-spans and --max-record-mib must be positive")
	case f.stats != statsAuto && f.stats != topology.StatsTempoMetrics && f.stats != topology.StatsTraces:
		return nil, usagef("unknown --stats %q: want auto, tempo-metrics or traces", f.stats)
	case f.stats == topology.StatsTempoMetrics && !useTempo:
		return nil, usagef("--stats tempo-metrics needs --tempo: files have no metrics to ask")
	}
	if b == nil {
		b = topology.NewBuilder(f.builderOptions(cfg))
	}
	if f.prometheus == "" {
		f.prometheus = cfg.Prometheus.URL
	}
	usePrometheus := f.prometheus != ""
	if usePrometheus && f.stats == topology.StatsTempoMetrics {
		return nil, usagef("--prometheus and --stats tempo-metrics are alternatives: give one")
	}
	if usePrometheus {
		f.stats = topology.StatsTraces // Tempo gives the shape only
	}
	var g *topology.Graph
	var err error
	if useTempo {
		g, err = f.buildFromTempo(ctx, e, cfg, b)
	} else {
		g, err = f.buildFromFiles(ctx, e, inputs, b)
	}
	if err != nil || !usePrometheus {
		return g, err
	}
	return g, f.measurePrometheus(ctx, e, cfg, g, useTempo)
}

// measurePrometheus takes the nodes' and edges' numbers from the series
// the alerts read, over the traces' own period.
func (f *sourceFlags) measurePrometheus(ctx context.Context, e *env, cfg *config.Config, g *topology.Graph, pulled bool) error {
	w := g.Window
	if pulled {
		// A pull covers the lookback, whatever the traces it found span.
		if tc, err := app.TempoConfig(cfg.Tempo, f.tempo, e.getenv, e.now()); err == nil {
			w = topology.Window{Start: tc.End.Add(-tc.Lookback), End: tc.End}
		}
	}
	pc, _, err := app.PrometheusConfig(cfg.Prometheus, f.prometheus, f.promTenant, e.getenv, w)
	if err != nil {
		return err
	}
	client, err := prometheus.New(pc)
	if err != nil {
		return usageError{err}
	}
	m, err := app.MeasureWithPrometheus(ctx, client, g, cfg.Alerts.Dialect())
	if err != nil {
		return err
	}
	g.Apply(m)
	f.prom = client
	fmt.Fprintf(e.stderr, "rbgen: numbers: exact, from the span metrics in Prometheus over %s – %s (%d of %d nodes, %d of %d edges); the paths from the %d traces read\n",
		m.Window.Start.Format("2006-01-02 15:04"), m.Window.End.Format("2006-01-02 15:04 MST"), len(m.Nodes), len(g.Nodes), len(m.Edges), len(g.Edges), g.Traces)
	return nil
}

// replayer backtests alerts in the Prometheus the numbers came from; nil
// when they did not come from one.
func (f *sourceFlags) replayer(ctx context.Context) generator.Replayer {
	if f.prom == nil {
		return nil
	}
	return func(expr string, from, to time.Time, step time.Duration) ([]bool, error) {
		return f.prom.Replay(ctx, expr, from, to, step)
	}
}

// buildFromFiles reads the input files, or the bundled demo week.
func (f *sourceFlags) buildFromFiles(ctx context.Context, e *env, inputs []string, b *topology.Builder) (*topology.Graph, error) {
	r := f.reader(e, inputs)
	if f.demo {
		r.Paths = []string{"-"}
		r.Stdin = bytes.NewReader(rbgen.DemoWeek)
	}
	files := 0
	r.OnFile = func(string) { files++ }
	g, err := b.Read(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := app.CheckEnvironments(g); err != nil {
		return nil, err
	}
	if r.Skipped > 0 {
		fmt.Fprintf(e.stderr, "rbgen: skipped %d malformed record(s)\n", r.Skipped)
	}
	fmt.Fprintf(e.stderr, "rbgen: read %d spans in %d traces from %d file(s): %d services and virtual nodes, %d edges\n",
		g.Spans, g.Traces, files, len(g.Nodes), len(g.Edges))
	warnIncomplete(e, g)
	warnMerged(e, g)
	return g, nil
}

// warnMerged says which names the graph folded into others, one line per
// reason: a person should know "stLogin" now reads "stlogin".
func warnMerged(e *env, g *topology.Graph) {
	byReason := map[string][]string{}
	var reasons []string
	for _, m := range g.Merged {
		if _, ok := byReason[m.Reason]; !ok {
			reasons = append(reasons, m.Reason)
		}
		byReason[m.Reason] = append(byReason[m.Reason], fmt.Sprintf("%q into %q", m.From, m.Into))
	}
	for _, r := range reasons {
		list := byReason[r]
		more := ""
		if len(list) > 5 {
			list, more = list[:5], fmt.Sprintf(" and %d more", len(byReason[r])-5)
		}
		fmt.Fprintf(e.stderr, "rbgen: merged by %s: %s%s\n", r, strings.Join(list, ", "), more)
	}
}

// builderOptions are the graph builder's limits and environment from the
// flags and the config.
func (f *sourceFlags) builderOptions(cfg *config.Config) topology.Options {
	env := f.environment
	if env == "" {
		env = cfg.Environment
	}
	return topology.Options{Horizon: f.horizon, MaxOpenSpans: f.maxOpenSpans, Environment: env, Aliases: cfg.Aliases}
}

func (f *sourceFlags) buildFromTempo(ctx context.Context, e *env, cfg *config.Config, b *topology.Builder) (*topology.Graph, error) {
	tc, err := app.TempoConfig(cfg.Tempo, f.tempo, e.getenv, e.now())
	if err != nil {
		return nil, err
	}
	env := f.environment
	if env == "" {
		env = cfg.Environment
	}
	tc.Query = app.EnvironmentQuery(tc.Query, env)
	report := progress.New(e.stderr, e.now, e.isTTY, f.quiet)
	tc.Progress = report.Update
	client, err := tempo.New(tc)
	if err != nil {
		return nil, usageError{err}
	}
	defer client.Close()
	whyNot, err := f.metricsAnswer(ctx, client)
	if err != nil {
		return nil, err
	}
	g, err := b.Read(ctx, client)
	report.Done()
	if g != nil {
		g.Sampled = client.Coverage.Sampled()
	}
	fmt.Fprintln(e.stderr, "rbgen: "+client.Coverage.String())
	if err != nil {
		return nil, err
	}
	if err := app.CheckEnvironments(g); err != nil {
		return nil, err
	}
	if err := f.measure(ctx, e, client, g, whyNot); err != nil {
		return nil, err
	}
	if client.Coverage.Partial() {
		fmt.Fprintf(e.stderr, "rbgen: warning: partial pull: %d window(s) and %d trace(s) failed; the graph may miss calls\n",
			client.Coverage.WindowsFailed, client.Coverage.TracesFailed)
	}
	warnIncomplete(e, g)
	return g, nil
}

// statsAuto asks Tempo for metrics and falls back to the traces.
const statsAuto = "auto"

// metricsAnswer asks Tempo, unless --stats traces, whether it serves
// TraceQL metrics, and if so which operations it saw, for the pull to
// cover. It returns nil when it does, else why not; err is a failure
// --stats tempo-metrics does not forgive.
func (f *sourceFlags) metricsAnswer(ctx context.Context, client *tempo.Client) (whyNot, err error) {
	if f.stats == topology.StatsTraces {
		return errors.New("--stats traces"), nil
	}
	err = client.Answers(ctx)
	if err == nil {
		var ops []tempo.Op
		if ops, err = client.Operations(ctx); err == nil {
			client.Cover(ops)
			return nil, nil
		}
	}
	if f.stats == topology.StatsTempoMetrics || ctx.Err() != nil {
		return nil, err
	}
	return err, nil
}

// measure puts Tempo's exact numbers on the graph when Tempo answered
// metrics queries (whyNot is the reason it did not), saying once on
// stderr where the numbers came from.
func (f *sourceFlags) measure(ctx context.Context, e *env, client *tempo.Client, g *topology.Graph, whyNot error) error {
	err := whyNot
	if err == nil {
		var m topology.Measured
		if !f.quiet {
			// A week's metrics take seconds a query: say what the wait is.
			fmt.Fprintf(e.stderr, "rbgen: asking Tempo's TraceQL metrics about %d node(s) …\n", len(g.Nodes))
		}
		if m, err = app.MeasureWithTempo(ctx, client, g); err == nil {
			added := g.Apply(m)
			fmt.Fprintf(e.stderr, "rbgen: numbers: exact, from Tempo's TraceQL metrics over %s – %s; the paths from the %d traces pulled\n",
				m.Window.Start.Format("2006-01-02 15:04"), m.Window.End.Format("2006-01-02 15:04 MST"), g.Traces)
			if added > 0 {
				fmt.Fprintf(e.stderr, "rbgen: %d operation(s) in Tempo's metrics were in no trace pulled; their numbers are in the graph, their paths are not\n", added)
			}
			return nil
		}
	}
	if f.stats == topology.StatsTempoMetrics || ctx.Err() != nil {
		return err
	}
	if f.stats == topology.StatsTraces {
		if f.prometheus == "" {
			fmt.Fprintf(e.stderr, "rbgen: numbers: counted in the %d traces pulled (--stats traces)\n", g.Traces)
		}
		return nil
	}
	fmt.Fprintf(e.stderr, "rbgen: numbers: counted in the %d traces pulled, not exact: %v\n", g.Traces, err)
	return nil
}

// warnIncomplete says when the graph may be missing edges, and which knob
// would help.
func warnIncomplete(e *env, g *topology.Graph) {
	if g.LateSpans > 0 {
		fmt.Fprintf(e.stderr, "rbgen: warning: %d spans arrived after their trace had closed; if the input is not in time order, raise --trace-horizon\n", g.LateSpans)
	}
	if g.EvictedTraces > 0 {
		fmt.Fprintf(e.stderr, "rbgen: warning: %d traces were closed early to stay under --max-open-spans; raise it if memory allows\n", g.EvictedTraces)
	}
	if g.Spans == 0 {
		fmt.Fprintln(e.stderr, "rbgen: warning: the input holds no spans")
	}
	if w := generator.PeriodWarning(g.StatsWindow); w != "" {
		fmt.Fprintln(e.stderr, "rbgen: warning: "+w)
	}
}
