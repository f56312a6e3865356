package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// sourceFlags are the flags of every command that reads traces.
type sourceFlags struct {
	inputs       []string
	demo         bool
	skipBad      bool
	horizon      time.Duration
	maxOpenSpans int
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
	_ = c.MarkFlagFilename("input")
}

// build reads the sources named by the flags (and extra arguments) into a
// graph, and says on stderr what it read.
func (f *sourceFlags) build(ctx context.Context, e *env, args []string) (*topology.Graph, error) {
	inputs := append(append([]string(nil), f.inputs...), args...)
	if f.demo && len(inputs) > 0 {
		return nil, usagef("--demo and --input are alternatives: give one")
	}
	if !f.demo && len(inputs) == 0 {
		return nil, usagef("no traces to read: give --input PATH (or --demo for the bundled demo week)")
	}
	if f.horizon <= 0 || f.maxOpenSpans <= 0 {
		return nil, usagef("--trace-horizon and --max-open-spans must be positive")
	}
	r := &tracefile.Reader{Paths: inputs, Stdin: e.stdin, SkipBad: f.skipBad}
	if f.demo {
		r.Paths = []string{"-"}
		r.Stdin = bytes.NewReader(rbgen.DemoWeek)
	}
	files := 0
	r.OnFile = func(string) { files++ }
	g, err := topology.Build(ctx, r, topology.Options{Horizon: f.horizon, MaxOpenSpans: f.maxOpenSpans})
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
