package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
)

func newGraphCmd(e *env) *cobra.Command {
	var src sourceFlags
	var format string
	c := &cobra.Command{
		Use:   "graph [--input PATH]... [PATH]...",
		Short: "Print the service dependency graph of a set of traces",
		Long: `graph builds the service dependency graph from traces and prints it.

Nodes are services (anything that owns spans) and virtual nodes that are
only seen from their callers: databases, caches, brokers, external APIs,
and "user" for the uninstrumented callers of entry points. Every edge
carries calls, errors and p50/p95/p99 latency.

Formats: json (the public interface, documented in the README), mermaid
(paste into GitHub or GitLab Markdown) and dot (Graphviz).`,
		Example: `  rbgen graph --demo --format mermaid
  rbgen graph --input traces/ --format json > graph.json
  rbgen graph -i 'exports/*.jsonl.gz' --format dot | dot -Tsvg > graph.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !generator.IsGraphFormat(format) {
				return usagef("unknown --format %q: want json, mermaid or dot", format)
			}
			cfg, err := src.loadConfig()
			if err != nil {
				return err
			}
			g, err := src.build(cmd.Context(), e, args, cfg)
			if err != nil {
				return err
			}
			if err := generator.WriteGraph(e.stdout, g, format); err != nil {
				return fmt.Errorf("write graph: %w", err)
			}
			return nil
		},
	}
	src.register(c)
	c.Flags().StringVarP(&format, "format", "f", "json", "output `FORMAT`: json, mermaid or dot")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(generator.GraphFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}
