// Package demo writes a deterministic week of traces from a made-up shop,
// the data behind rbgen's worked example and tests.
//
// The shop has twelve instrumented services, a PostgreSQL database per
// domain, a Redis shared by two services, a Kafka topic whose consumer runs
// in its own trace (joined to the order by a span link), and a payment
// provider outside the company. It serves a diurnal load with quieter
// weekends, fails a little (payment provider 503s, currency lookups that
// time out), and one host's clock runs a few milliseconds behind.
//
// Output is OTLP JSON lines as the OpenTelemetry Collector's file exporter
// writes them: each line is one service's export of one minute, so the
// spans of a trace are spread over several lines. Same Config, same bytes.
package demo

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Config shapes the generated week. The zero value is the bundled demo.
type Config struct {
	// Start is the first instant; the default is Monday 2026-11-09 00:00 UTC.
	Start time.Time
	// Days of traffic; default 7.
	Days int
	// PeakPerHour is the traces per hour at the daily peak; default 40.
	PeakPerHour int
	// Seed drives every random choice; default 1.
	Seed uint64
	// Faults are injected for postmortem tests and demos.
	Faults []Fault
	// Canaries run a second version of a service for a while.
	Canaries []Canary
	// Staging is the share of traces that come from the staging
	// environment (deployment.environment.name "staging"); 0 by default.
	Staging float64
	// Rare is how many times, evenly spread over the days, an admin
	// exports a report (frontend GET /admin/export → reports →
	// warehouse-db): a path a sample of traces is likely to miss. 0 by
	// default.
	Rare int
}

// Fault makes one node misbehave for a window.
type Fault struct {
	// Node is a service (its server spans fail or slow down) or a database
	// or cache node name such as "catalog-db/products" (its calls do).
	Node       string
	Start, End time.Time
	// ErrorRate is the share of the node's calls that fail in the window.
	ErrorRate float64
	// Latency is added to each of the node's calls in the window.
	Latency time.Duration
	// EarlyReturn is the share of the service's requests that return at
	// once, successfully and without their work or calls: a code fault
	// that only the shape of the traces shows.
	EarlyReturn float64
	// OnePod spreads a service's requests over four pods for the window
	// and faults only those on the last one: a bad host, not a bad
	// release.
	OnePod bool
}

// Stats count what Write wrote, for tests that compare against it.
type Stats struct {
	Traces, Spans, ErrorSpans int64
	// EntryTraces and EntryFailures count traces per entry point.
	EntryTraces, EntryFailures map[string]int64
	// FaultedCalls counts calls a fault touched, per fault node.
	FaultedCalls map[string]int64
	// WindowTraces and WindowFailures count, per entry point, the traces
	// that started inside a fault's window and those of them that failed.
	WindowTraces, WindowFailures map[string]int64
}

func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	}
	if c.Days <= 0 {
		c.Days = 7
	}
	if c.PeakPerHour <= 0 {
		c.PeakPerHour = 40
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

// Write generates the traces and writes them to w as OTLP JSON lines.
func Write(w io.Writer, cfg Config) (Stats, error) {
	cfg = cfg.withDefaults()
	if err := cfg.checkFaults(); err != nil {
		return Stats{}, err
	}
	if err := cfg.checkCanaries(); err != nil {
		return Stats{}, err
	}
	g := &gen{
		cfg:      cfg,
		rnd:      rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
		buckets:  map[bucketKey][]*span{},
		releases: map[string]*release{},
		touched:  make([]int64, len(cfg.Faults)),
		stats: Stats{EntryTraces: map[string]int64{}, EntryFailures: map[string]int64{},
			FaultedCalls: map[string]int64{}, WindowTraces: map[string]int64{}, WindowFailures: map[string]int64{}},
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	hours := cfg.Days * 24
	for h := 0; h < hours; h++ {
		from := cfg.Start.Add(time.Duration(h) * time.Hour)
		g.hour(from)
		if err := g.flush(bw, from.Add(time.Hour)); err != nil {
			return g.stats, err
		}
	}
	// Orders still on the queue when the week ends are processed too.
	g.runConsumers(cfg.Start.AddDate(0, 0, cfg.Days+1))
	if err := g.flush(bw, time.Time{}); err != nil {
		return g.stats, err
	}
	if err := g.checkTouched(); err != nil {
		return g.stats, err
	}
	return g.stats, bw.Flush()
}

type gen struct {
	cfg      Config
	releases map[string]*release
	rnd      *rand.Rand
	buckets  map[bucketKey][]*span
	pending  []consumerJob
	stats    Stats
	touched  []int64 // calls each fault changed
}

// bucketKey is one service's export batch: the minute its spans ended in.
type bucketKey struct {
	minute int64
	rel    *release
}

// load is the traces per hour at t: a daily curve peaking mid-afternoon
// UTC, quieter at weekends.
func (g *gen) load(t time.Time) float64 {
	day := 0.25 + 0.75*math.Pow(math.Sin(math.Pi*float64((t.Hour()+22)%24)/24), 2)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		day *= 0.6
	}
	return float64(g.cfg.PeakPerHour) * day
}

// hour generates the traces that start in the hour from t.
func (g *gen) hour(t time.Time) {
	n := g.poisson(g.load(t))
	starts := make([]time.Duration, n)
	for i := range starts {
		starts[i] = time.Duration(g.rnd.Int64N(int64(time.Hour)))
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for _, off := range starts {
		at := t.Add(off)
		g.runConsumers(at)
		g.request(at)
	}
	// No draw for these: the traffic around them stays as it was.
	if r := g.cfg.Rare; r > 0 {
		period := time.Duration(g.cfg.Days) * 24 * time.Hour
		for i := 0; i < r; i++ {
			at := g.cfg.Start.Add(period * time.Duration(2*i+1) / time.Duration(2*r))
			if !at.Before(t) && at.Before(t.Add(time.Hour)) {
				g.export(at)
			}
		}
	}
}

func (g *gen) poisson(mean float64) int {
	// Knuth's method is fine for the means used here (< 100). Past about
	// 700 an hour e^-mean underflows and the draw saturates near 745:
	// --peak-per-hour above that gives no more traffic (the backtest tests
	// at peak 1000 are tuned to it).
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= g.rnd.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// flush writes the batches of every minute before until (all if zero).
func (g *gen) flush(w io.Writer, until time.Time) error {
	var keys []bucketKey
	for k := range g.buckets {
		if until.IsZero() || k.minute < until.Unix()/60 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].minute != keys[j].minute {
			return keys[i].minute < keys[j].minute
		}
		return keys[i].rel.key() < keys[j].rel.key()
	})
	m := &ptrace.JSONMarshaler{}
	for _, k := range keys {
		b, err := m.MarshalTraces(toTraces(k.rel, g.buckets[k]))
		if err != nil {
			return fmt.Errorf("marshal demo batch: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		delete(g.buckets, k)
	}
	return nil
}

func (g *gen) emit(s *span) {
	g.stats.Spans++
	if s.failed {
		g.stats.ErrorSpans++
	}
	k := bucketKey{minute: s.end.Unix() / 60, rel: s.rel}
	g.buckets[k] = append(g.buckets[k], s)
}

func toTraces(rel *release, spans []*span) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rel.put(rs.Resource())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("rbgen.demo")
	ss.Scope().SetVersion("1.0.0")
	for _, s := range spans {
		s.put(ss.Spans().AppendEmpty())
	}
	return td
}
