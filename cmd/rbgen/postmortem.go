package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
	"github.com/rbgen/rbgen/topology"
)

type postmortemFlags struct {
	start, end, baseStart, baseEnd string
	baselineInputs                 []string
	out, runbooks, templates       string
	title                          string
	check, force                   bool
}

func newPostmortemCmd(e *env) *cobra.Command {
	var src sourceFlags
	var f postmortemFlags
	c := &cobra.Command{
		Use:   "postmortem --start T --end T [--input PATH... | --tempo ADDR]",
		Short: "Draft a postmortem: the incident window against a baseline, with ranked root causes",
		Long: `postmortem compares the traces of an incident window with a baseline (by
default the week before the window) and drafts postmortems/PM-YYYYMMDD-<slug>.md:
summary, impact per entry point, root-cause suspects ranked by how much each
node's own behaviour changed (with evidence, example traces and a chart of
each one's own signal), what moved by node, edge and operation (rate,
errors, p50, p99), a timeline with charts, detection, related runbooks, and
action items to fill in.

Times are RFC 3339 (2026-11-12T14:00:00Z) or relative to now (-2h, -90m).
Sections for people live in keep blocks and survive regeneration.`,
		Example: `  rbgen postmortem --input traces/ --start 2026-11-12T14:00:00Z --end 2026-11-12T14:30:00Z
  rbgen postmortem --tempo tempo:9095 --tempo-http http://tempo:3200 --start -2h --end -1h
  rbgen postmortem --input incident.jsonl --baseline-input last-week/ --start 2026-11-12T14:00:00Z --end 2026-11-12T15:00:00Z`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPostmortem(cmd.Context(), e, &src, &f, args)
		},
	}
	src.register(c)
	fl := c.Flags()
	fl.StringVar(&f.start, "start", "", "start of the incident window (RFC 3339, or relative like -2h)")
	fl.StringVar(&f.end, "end", "", "end of the incident window")
	fl.StringVar(&f.baseStart, "baseline-start", "", "start of the baseline (default: a week before --start)")
	fl.StringVar(&f.baseEnd, "baseline-end", "", "end of the baseline (default: --start)")
	fl.StringArrayVar(&f.baselineInputs, "baseline-input", nil, "read the baseline from these `PATH`s instead (repeatable)")
	fl.StringVarP(&f.out, "out", "o", "postmortems", "postmortem `DIR`")
	fl.StringVar(&f.runbooks, "runbooks", "runbooks", "runbook `DIR` to link suspects' runbooks from")
	fl.StringVar(&f.templates, "templates", "", "`DIR` of template overrides")
	fl.StringVar(&f.title, "title", "", "title (default from the first suspect)")
	fl.BoolVar(&f.check, "check", false, "write nothing; exit 1 and list the files that would change")
	fl.BoolVar(&f.force, "force", false, "overwrite a draft edited outside its keep blocks")
	return c
}

func runPostmortem(ctx context.Context, e *env, src *sourceFlags, f *postmortemFlags, args []string) error {
	w, err := app.ResolveWindow(app.WindowRequest{Start: f.start, End: f.end, BaselineStart: f.baseStart,
		BaselineEnd: f.baseEnd, Now: e.now(), SeparateBaseline: len(f.baselineInputs) > 0})
	if err != nil {
		return err
	}
	cfg, err := src.loadConfig()
	if err != nil {
		return err
	}
	tmpl, err := generator.LoadTemplates(f.templates)
	if err != nil {
		return usageError{err}
	}
	// A Tempo pull must cover the baseline as well as the window.
	if src.tempo.End == "" {
		src.tempo.End = w.End.Add(app.LeadIn).Format(time.RFC3339)
	}
	if len(f.baselineInputs) == 0 && w.End.Add(app.LeadIn).Sub(w.BaselineStart) > src.tempo.Lookback {
		src.tempo.Lookback = w.End.Add(app.LeadIn).Sub(w.BaselineStart)
	}
	in := app.PostmortemInput{Window: w,
		Builder: src.builderOptions(cfg),
		Fill: func(ctx context.Context, b *topology.Builder) (*topology.Graph, error) {
			return src.buildWith(ctx, e, args, cfg, b)
		},
		Document: generator.PostmortemOptions{Dir: f.out, RunbookDir: f.runbooks, Title: f.title,
			Config: cfg, Templates: tmpl, Force: f.force}}
	if len(f.baselineInputs) > 0 {
		in.Baseline = src.reader(e, f.baselineInputs)
	}
	if !f.check {
		unlock, err := app.Lock(f.out, app.LockWait)
		if err != nil {
			return err
		}
		defer unlock()
	}
	res, err := app.Postmortem(ctx, in)
	var empty *app.EmptyError
	if errors.As(err, &empty) {
		return usagef("%v; check --start/--end%s", err, baselineHint(f))
	}
	if err != nil {
		return err
	}
	a, plan := res.Analysis, res.Plan
	if f.check {
		return reportCheck(e, plan)
	}
	if err := plan.Apply(f.force); err != nil {
		return err
	}
	top := "no clear suspect"
	if len(a.Suspects) > 0 {
		top = "first suspect " + a.Suspects[0].Node
	}
	fmt.Fprintf(e.stderr, "rbgen: %s: %d traces in the window, %d in the baseline; %s\n",
		generator.PostmortemID(a, f.title), a.WindowTraces, a.BaselineTraces, top)
	return nil
}

func baselineHint(f *postmortemFlags) string {
	if len(f.baselineInputs) > 0 {
		return " and --baseline-input"
	}
	return ", or give the baseline with --baseline-input or --baseline-start/--baseline-end"
}
