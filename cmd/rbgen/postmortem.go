package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// leadIn is how much before and after the window the timeline shows.
const leadIn = 15 * time.Minute

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

// parseTime reads RFC 3339 or a duration relative to now.
func parseTime(flag, v string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		d, err := time.ParseDuration(v)
		if err != nil {
			return time.Time{}, usagef("--%s %q: want RFC 3339 or a relative duration such as -2h", flag, v)
		}
		return now.Add(d).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usagef("--%s %q: want RFC 3339 (2026-11-12T14:00:00Z) or a relative duration such as -2h", flag, v)
	}
	return t.UTC(), nil
}

type window struct{ start, end, baseStart, baseEnd time.Time }

func (f *postmortemFlags) window(now time.Time) (window, error) {
	var w window
	if f.start == "" || f.end == "" {
		return w, usagef("give the incident window: --start and --end")
	}
	var err error
	if w.start, err = parseTime("start", f.start, now); err != nil {
		return w, err
	}
	if w.end, err = parseTime("end", f.end, now); err != nil {
		return w, err
	}
	if !w.end.After(w.start) {
		return w, usagef("--end %s is not after --start %s", w.end.Format(time.RFC3339), w.start.Format(time.RFC3339))
	}
	w.baseStart, w.baseEnd = w.start.Add(-7*24*time.Hour), w.start
	if len(f.baselineInputs) > 0 {
		w.baseStart, w.baseEnd = time.Unix(0, 0).UTC(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.baseStart != "" {
		if w.baseStart, err = parseTime("baseline-start", f.baseStart, now); err != nil {
			return w, err
		}
	}
	if f.baseEnd != "" {
		if w.baseEnd, err = parseTime("baseline-end", f.baseEnd, now); err != nil {
			return w, err
		}
	}
	if !w.baseEnd.After(w.baseStart) {
		return w, usagef("the baseline ends before it starts")
	}
	return w, nil
}

func runPostmortem(ctx context.Context, e *env, src *sourceFlags, f *postmortemFlags, args []string) error {
	w, err := f.window(e.now())
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
	if src.end == "" {
		src.end = w.end.Add(leadIn).Format(time.RFC3339)
	}
	if len(f.baselineInputs) == 0 && w.end.Add(leadIn).Sub(w.baseStart) > src.lookback {
		src.lookback = w.end.Add(leadIn).Sub(w.baseStart)
	}
	var baseline *[2]time.Time
	if len(f.baselineInputs) == 0 {
		baseline = &[2]time.Time{w.baseStart, w.baseEnd}
	}
	ib := incident.NewBuilder(topology.Options{Horizon: src.horizon, MaxOpenSpans: src.maxOpenSpans},
		baseline, &[2]time.Time{w.start.Add(-leadIn), w.end.Add(leadIn)})
	g, err := src.buildWith(ctx, e, args, cfg, ib.Builder)
	if err != nil {
		return err
	}
	base := ib.Baseline
	if len(f.baselineInputs) > 0 {
		bb := incident.NewBuilder(topology.Options{Horizon: src.horizon, MaxOpenSpans: src.maxOpenSpans},
			&[2]time.Time{w.baseStart, w.baseEnd}, nil)
		r := &tracefile.Reader{Paths: f.baselineInputs, Stdin: e.stdin, SkipBad: src.skipBad}
		if err := r.Stream(ctx, func(b topology.Batch) error { bb.Add(b); return nil }); err != nil {
			return err
		}
		bb.Finish()
		base = bb.Baseline
	}
	a, err := incident.Analyze(base, ib.Window, w.start, w.end)
	if errors.Is(err, incident.ErrEmptyProfile) {
		return usagef("%v in the input (it covers %s to %s); check --start/--end%s", err,
			g.Window.Start.Format(time.RFC3339), g.Window.End.Format(time.RFC3339), baselineHint(f))
	}
	if err != nil {
		return err
	}
	plan, err := generator.PlanPostmortem(a, generator.PostmortemOptions{Dir: f.out, RunbookDir: f.runbooks, Title: f.title,
		Config: cfg, Templates: tmpl, Force: f.force})
	if err != nil {
		return err
	}
	if f.check {
		return reportCheck(e, plan, plan.Changes)
	}
	if len(plan.Refused) > 0 && !f.force {
		return &generator.EditedError{Files: plan.Refused}
	}
	if err := generator.WriteChanges(plan.Changes); err != nil {
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
