package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
)

func newDiffCmd(e *env) *cobra.Command {
	var src sourceFlags
	c := &cobra.Command{
		Use:   "diff OLD_GRAPH.json NEW_GRAPH.json",
		Short: "Say what changed between two graph snapshots",
		Long: `diff compares two graphs (a runbook folder's .rbgen-graph.json, or two
rbgen graph --format json outputs) and prints, as Markdown, what generate's
--summary says of them: nodes, dependencies and entry points that appeared
or vanished, thresholds that moved with their baselines, severities that
changed. Compare two weeks, or two environments, without generating
anything.

Exit codes: 0 done, 2 a graph that cannot be read.`,
		Example: `  rbgen diff last-week/.rbgen-graph.json runbooks/.rbgen-graph.json
  rbgen graph --input staging/ > staging.json && rbgen graph --input prod/ > prod.json && rbgen diff staging.json prod.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := src.loadConfig()
			if err != nil {
				return err
			}
			old, err := generator.ReadGraph(args[0])
			if err != nil {
				return usageError{err}
			}
			cur, err := generator.ReadGraph(args[1])
			if err != nil {
				return usageError{err}
			}
			_, err = io.WriteString(e.stdout, generator.Compare(old, cur, cfg).Markdown())
			return err
		},
	}
	c.Flags().StringVar(&src.config, "config", "", "config `FILE` for the thresholds (default rbgen.yaml, if present)")
	return c
}
