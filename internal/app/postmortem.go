package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
)

// LeadIn is how much of the traces before and after the window the
// timeline shows, so a reader sees the incident start and end.
const LeadIn = 15 * time.Minute

// PostmortemInput is what a postmortem draft is made from.
type PostmortemInput struct {
	Window
	Builder topology.Options
	// Fill streams the traces into b and returns the graph: files or a
	// Tempo pull, with whatever progress the caller shows.
	Fill func(ctx context.Context, b *topology.Builder) (*topology.Graph, error)
	// Baseline, when set, holds the baseline's traces; otherwise they come
	// from Fill's, in [BaselineStart, BaselineEnd).
	Baseline topology.Source
	Document generator.PostmortemOptions
}

// PostmortemResult is the analysis and the plan of files that draft it.
type PostmortemResult struct {
	Graph    *topology.Graph
	Analysis *incident.Analysis
	Plan     *generator.Plan
}

// EmptyError says the window or the baseline held no traces, with the span
// of time the input did cover, so the user can pick a window inside it.
type EmptyError struct {
	Err     error
	Covered topology.Window
}

func (e *EmptyError) Error() string {
	return fmt.Sprintf("%v in the input (it covers %s to %s)", e.Err,
		e.Covered.Start.Format(time.RFC3339), e.Covered.End.Format(time.RFC3339))
}

func (e *EmptyError) Unwrap() error { return e.Err }

// Postmortem reads the traces once into the graph and the window's (and,
// without a Baseline source, the baseline's) profiles, analyses the window
// against the baseline and plans the draft and its index.
func Postmortem(ctx context.Context, in PostmortemInput) (*PostmortemResult, error) {
	var baseline *[2]time.Time
	if in.Baseline == nil {
		baseline = &[2]time.Time{in.BaselineStart, in.BaselineEnd}
	}
	ib := incident.NewBuilder(in.Builder, baseline, &[2]time.Time{in.Start.Add(-LeadIn), in.End.Add(LeadIn)})
	rec := alerts.NewRecorder(in.Document.Config.Alerts.Dialect())
	ib.Builder.Observe(rec.Observe)
	g, err := in.Fill(ctx, ib.Builder)
	if err != nil {
		return nil, err
	}
	ib.UseNames(g)
	rec.UseNames(g)
	base := ib.Baseline
	if in.Baseline != nil {
		bb := incident.NewBuilder(in.Builder, &[2]time.Time{in.BaselineStart, in.BaselineEnd}, nil)
		if err := in.Baseline.Stream(ctx, func(b topology.Batch) error { bb.Add(b); return nil }); err != nil {
			return nil, err
		}
		bb.Builder.Finish()
		bb.UseNames(g)
		base = bb.Baseline
	}
	a, err := incident.Analyze(base, ib.Window, in.Start, in.End)
	if errors.Is(err, incident.ErrEmptyProfile) {
		return nil, &EmptyError{Err: err, Covered: g.Window}
	}
	if err != nil {
		return nil, err
	}
	det, err := generator.DetectAlerts(g, generator.GenerateOptions{Dir: in.Document.RunbookDir, Config: in.Document.Config,
		Templates: in.Document.Templates}, rec, in.Start.Add(-LeadIn), in.End.Add(LeadIn))
	if err != nil {
		return nil, err
	}
	in.Document.Detections = det
	plan, err := generator.PlanPostmortem(a, in.Document)
	if err != nil {
		return nil, err
	}
	return &PostmortemResult{Graph: g, Analysis: a, Plan: plan}, nil
}
