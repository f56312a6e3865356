package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen"
	"github.com/rbgen/rbgen/config"
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
	config       string

	tempoGRPC, tempoHTTP, tenant, query string
	lookback, window                    time.Duration
	end                                 string
	limit, concurrency                  int
	ca, cert, key                       string
	useTLS, insecureSkipVerify, quiet   bool
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
	fl.StringVar(&f.config, "config", "", "config `FILE` (default rbgen.yaml, if present)")

	fl.StringVar(&f.tempoGRPC, "tempo", "", "pull traces from Tempo: its gRPC `HOST:PORT` (search)")
	fl.StringVar(&f.tempoHTTP, "tempo-http", "", "Tempo's HTTP API `URL` (fetch by ID), e.g. http://tempo:3200")
	fl.StringVar(&f.tenant, "tenant", "", "Tempo tenant, sent as X-Scope-OrgID")
	fl.StringVar(&f.query, "query", "", "TraceQL selecting the traces to pull (default {})")
	fl.DurationVar(&f.lookback, "lookback", tempo.DefaultLookback, "how far back from --lookback-end to pull")
	fl.StringVar(&f.end, "lookback-end", "", "end of the lookback, RFC 3339 (default now)")
	fl.DurationVar(&f.window, "window", tempo.DefaultWindow, "search the lookback in windows this long")
	fl.IntVar(&f.limit, "limit-per-window", tempo.DefaultLimitPerWindow, "traces to pull from each window")
	fl.IntVar(&f.concurrency, "concurrency", tempo.DefaultConcurrency, "traces fetched in parallel")
	fl.BoolVar(&f.useTLS, "tempo-tls", false, "use TLS for the gRPC connection (https URLs use it for HTTP)")
	fl.StringVar(&f.ca, "tempo-ca", "", "CA certificate `FILE` to verify Tempo with")
	fl.StringVar(&f.cert, "tempo-cert", "", "client certificate `FILE` for mutual TLS")
	fl.StringVar(&f.key, "tempo-key", "", "client key `FILE` for mutual TLS")
	fl.BoolVar(&f.insecureSkipVerify, "insecure-skip-verify", false, "do not verify Tempo's certificate (test servers only)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar or progress lines")
	_ = c.MarkFlagFilename("input")
	_ = c.MarkFlagFilename("config", "yaml", "yml")
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
	useTempo := f.tempoGRPC != "" || f.tempoHTTP != "" || (len(inputs) == 0 && !f.demo && cfg.Tempo.GRPC != "")
	switch {
	case f.demo && (len(inputs) > 0 || useTempo):
		return nil, usagef("--demo, --input and --tempo are alternatives: give one")
	case len(inputs) > 0 && useTempo:
		return nil, usagef("--input and --tempo are alternatives: give one")
	case !f.demo && len(inputs) == 0 && !useTempo:
		return nil, usagef("no traces to read: give --input PATH, --tempo HOST:PORT (or tempo.grpc in rbgen.yaml), or --demo for the bundled demo week")
	case f.horizon <= 0 || f.maxOpenSpans <= 0:
		return nil, usagef("--trace-horizon and --max-open-spans must be positive")
	}
	opt := topology.Options{Horizon: f.horizon, MaxOpenSpans: f.maxOpenSpans}
	if b == nil {
		b = topology.NewBuilder(opt)
	}
	if useTempo {
		return f.buildFromTempo(ctx, e, cfg, b)
	}
	r := &tracefile.Reader{Paths: inputs, Stdin: e.stdin, SkipBad: f.skipBad}
	if f.demo {
		r.Paths = []string{"-"}
		r.Stdin = bytes.NewReader(rbgen.DemoWeek)
	}
	files := 0
	r.OnFile = func(string) { files++ }
	g, err := fill(ctx, b, r)
	if err != nil {
		return nil, err
	}
	if r.Skipped > 0 {
		fmt.Fprintf(e.stderr, "rbgen: skipped %d malformed record(s)\n", r.Skipped)
	}
	fmt.Fprintf(e.stderr, "rbgen: read %d spans in %d traces from %d file(s): %d services and virtual nodes, %d edges\n",
		g.Spans, g.Traces, files, len(g.Nodes), len(g.Edges))
	warnIncomplete(e, g)
	return g, nil
}

// tempoConfig merges flags over the config file's tempo section and reads
// secrets from the environment variables the config names.
func (f *sourceFlags) tempoConfig(e *env, cfg *config.Config) (tempo.Config, error) {
	t := cfg.Tempo
	pick := func(flag, file string) string {
		if flag != "" {
			return flag
		}
		return file
	}
	tc := tempo.Config{
		GRPCAddr: pick(f.tempoGRPC, t.GRPC), HTTPURL: pick(f.tempoHTTP, t.HTTP),
		Tenant: pick(f.tenant, t.Tenant), Query: pick(f.query, t.Query),
		Lookback: f.lookback, Window: f.window, LimitPerWindow: f.limit, Concurrency: f.concurrency,
		TLS: tempo.TLSConfig{Enabled: f.useTLS || t.TLS, CAFile: pick(f.ca, t.CAFile), CertFile: pick(f.cert, t.CertFile),
			KeyFile: pick(f.key, t.KeyFile), InsecureSkipVerify: f.insecureSkipVerify || t.InsecureSkipVerify},
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{t.TokenEnv, &tc.Token}, {t.UserEnv, &tc.User}, {t.PasswordEnv, &tc.Password}} {
		if s.name == "" {
			continue
		}
		if *s.dst = e.getenv(s.name); *s.dst == "" {
			return tc, usagef("rbgen.yaml names the environment variable %s for Tempo credentials, but it is empty", s.name)
		}
	}
	tc.End = e.now()
	if f.end != "" {
		end, err := time.Parse(time.RFC3339, f.end)
		if err != nil {
			return tc, usagef("--lookback-end: want RFC 3339 such as 2026-11-16T00:00:00Z: %v", err)
		}
		tc.End = end
	}
	if f.lookback <= 0 || f.window <= 0 || f.limit <= 0 || f.concurrency <= 0 {
		return tc, usagef("--lookback, --window, --limit-per-window and --concurrency must be positive")
	}
	return tc, nil
}

// fill streams a source into a builder.
func fill(ctx context.Context, b *topology.Builder, src topology.Source) (*topology.Graph, error) {
	err := src.Stream(ctx, func(batch topology.Batch) error {
		b.Add(batch)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Finish(), nil
}

func (f *sourceFlags) buildFromTempo(ctx context.Context, e *env, cfg *config.Config, b *topology.Builder) (*topology.Graph, error) {
	tc, err := f.tempoConfig(e, cfg)
	if err != nil {
		return nil, err
	}
	report := f.progress(e)
	tc.Progress = report.update
	client, err := tempo.New(tc)
	if err != nil {
		return nil, usageError{err}
	}
	defer client.Close()
	g, err := fill(ctx, b, client)
	report.done()
	fmt.Fprintln(e.stderr, "rbgen: "+client.Coverage.String())
	if err != nil {
		return nil, err
	}
	if client.Coverage.Partial() {
		fmt.Fprintf(e.stderr, "rbgen: warning: partial pull: %d window(s) and %d trace(s) failed; the graph may miss calls\n",
			client.Coverage.WindowsFailed, client.Coverage.TracesFailed)
	}
	warnIncomplete(e, g)
	return g, nil
}

// progressReport shows a pull's progress: a bar on a terminal, a line every
// few seconds otherwise, nothing with --quiet.
type progressReport struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	e      *env
	last   time.Time
	quiet  bool
	latest tempo.Coverage
}

// progressEvery spaces the progress lines written off a terminal.
const progressEvery = 5 * time.Second

func (f *sourceFlags) progress(e *env) *progressReport {
	p := &progressReport{e: e, quiet: f.quiet, last: e.now()}
	if !f.quiet && e.isTTY {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("pulling traces from Tempo"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("windows"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

func (p *progressReport) update(c tempo.Coverage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest = c
	switch {
	case p.quiet:
	case p.bar != nil:
		if p.bar.GetMax() != c.Windows {
			p.bar.ChangeMax(c.Windows)
		}
		_ = p.bar.Set(c.WindowsSearched + c.WindowsFailed)
		p.bar.Describe(fmt.Sprintf("pulling from Tempo: %d traces fetched", c.TracesFetched))
	case p.e.now().Sub(p.last) >= progressEvery:
		p.last = p.e.now()
		fmt.Fprintf(p.e.stderr, "rbgen: %d/%d windows searched, %d traces fetched…\n",
			c.WindowsSearched+c.WindowsFailed, c.Windows, c.TracesFetched)
	}
}

func (p *progressReport) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
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
}
