package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/internal/app"
)

func newDemoCmd(e *env) *cobra.Command {
	var out, start string
	var faults, canaries []string
	var cfg demo.Config
	c := &cobra.Command{
		Use:   "demo --out FILE",
		Short: "Write a week of realistic traces from a 12-service demo shop",
		Long: `demo writes the traces behind rbgen's worked example: a shop with twelve
instrumented services, PostgreSQL, Redis, a Kafka topic with a linked
consumer, an external payment API, diurnal load and a few failures.

The output is OTLP JSON lines (gzip-compressed when FILE ends in .gz) and
is the same for the same flags. '--demo' on other commands reads the copy
bundled into rbgen.`,
		Example: `  rbgen demo --out week.otlp.jsonl.gz
  rbgen demo --days 1 --out - | rbgen graph --input -
  rbgen demo --out incident.jsonl.gz --fault node=checkout,start=2026-11-14T14:00:00Z,end=2026-11-14T14:30:00Z,errors=0.5
  rbgen demo --out canary.jsonl.gz --canary service=checkout,version=1.4.3,start=2026-11-12T10:00:00Z,end=2026-11-12T16:00:00Z,share=0.25,errors=0.6,exception=PaymentDeclinedError`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required (a file, or - for stdout)")
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return usagef("--start: want RFC 3339 such as 2026-11-09T00:00:00Z: %v", err)
				}
				cfg.Start = t
			}
			for _, f := range faults {
				fault, err := demo.ParseFault(f)
				if err != nil {
					return usageError{err}
				}
				cfg.Faults = append(cfg.Faults, fault)
			}
			for _, c := range canaries {
				canary, err := demo.ParseCanary(c)
				if err != nil {
					return usageError{err}
				}
				cfg.Canaries = append(cfg.Canaries, canary)
			}
			if cfg.Rare < 0 {
				return usagef("--rare: want a count of requests, got %d", cfg.Rare)
			}
			if cfg.Staging < 0 || cfg.Staging > 1 {
				return usagef("--staging: want a ratio between 0 and 1, got %g", cfg.Staging)
			}
			st, err := app.Demo(out, e.stdout, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "rbgen: wrote %d traces, %d spans to %s\n", st.Traces, st.Spans, out)
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVarP(&out, "out", "o", "", "write to `FILE` (- for stdout)")
	fl.StringVar(&start, "start", "", "first instant, RFC 3339 (default 2026-11-09T00:00:00Z)")
	fl.IntVar(&cfg.Days, "days", 7, "days of traffic")
	fl.IntVar(&cfg.PeakPerHour, "peak-per-hour", 40, "traces per hour at the daily peak")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fl.StringArrayVar(&faults, "fault", nil, "inject a fault described by `SPEC` (repeatable):\n"+
		"node=NAME,start=T,end=T plus any of errors=RATIO, latency=DUR, early=RATIO,\n"+
		"pod=true. A service's requests fail, slow down or return at once without\n"+
		"their work (with pod=true, only those on one of four pods); a database's or\n"+
		"external API's calls fail or slow down")
	fl.StringArrayVar(&canaries, "canary", nil, "run a canary release described by `SPEC` (repeatable):\n"+
		"service=NAME,version=V,start=T,end=T,share=RATIO plus any of errors=RATIO,\n"+
		"exception=TYPE, message=TEXT. Its requests run on deployment NAME-canary\n"+
		"and a share of them throw")
	fl.Float64Var(&cfg.Staging, "staging", 0, "share of traces from the staging environment (`RATIO`)")
	fl.IntVar(&cfg.Rare, "rare", 0, "add `N` admin report exports, evenly spread (frontend GET /admin/export → reports → warehouse-db): a path a sample is likely to miss")
	return c
}
