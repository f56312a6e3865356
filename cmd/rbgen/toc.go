package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
)

// runUpdateTOC refreshes the table of contents from the files on disk
// alone: no traces needed, so it is quick to run after a hand edit.
func runUpdateTOC(e *env, docs *docFlags) error {
	tmpl, err := docs.loadTemplates()
	if err != nil {
		return err
	}
	unlock, err := app.Lock(docs.out, app.LockWait)
	if err != nil {
		return err
	}
	defer unlock()
	changes, err := generator.PlanTOC(tmpl, docs.out, docs.tocFiles, nil)
	if err != nil {
		return err
	}
	if err := (&generator.Plan{Changes: changes}).Apply(false); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "rbgen: table of contents: %d file(s) updated\n", len(changes))
	return nil
}

// registerUpdateTOC gives the root command `rbgen --update-toc [--out DIR]`.
func registerUpdateTOC(root *cobra.Command, e *env) {
	var docs docFlags
	var update bool
	fl := root.Flags()
	fl.BoolVar(&update, "update-toc", false, "refresh the runbook index (DIR/README.md) from the files on disk, and exit")
	fl.StringVarP(&docs.out, "out", "o", "runbooks", "with --update-toc: the runbook `DIR`")
	fl.StringVar(&docs.templates, "templates", "", "with --update-toc: `DIR` of template overrides")
	fl.StringArrayVar(&docs.tocFiles, "toc-file", nil, "with --update-toc: also refresh the table in this `FILE` (repeatable)")
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if !update {
			return cmd.Help()
		}
		return runUpdateTOC(e, &docs)
	}
}
