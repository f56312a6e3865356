package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator/site"
	"github.com/rbgen/rbgen/internal/app"
)

func newPublishCmd(e *env) *cobra.Command {
	var opt site.Options
	c := &cobra.Command{
		Use:   "publish --out DIR",
		Short: "Render runbooks and postmortems into a static HTML site",
		Long: `publish renders the runbooks and postmortems into a static site: an index
with filters (service, severity, owner, status), a page per runbook and
postmortem with a table of contents, a page per service, and the whole
dependency graph, drawn as inline SVG by rbgen. All CSS and JavaScript is
embedded and every link is relative: the site works offline, from file://
and under any sub-path. Names from traces are escaped and the HTML is
sanitised, so hostile span names render as text.`,
		Example: `  rbgen publish --out site/
  rbgen publish --runbooks runbooks/ --postmortems postmortems/ --out public/ops/ --base-url https://docs.example.com/ops/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.Out == "" {
				return usagef("--out is required")
			}
			unlock, err := app.Lock(opt.Out, app.LockWait)
			if err != nil {
				return err
			}
			defer unlock()
			plan, err := app.Publish(opt)
			// A folder that is missing, holds nothing or is someone else's
			// is the user's to fix (exit 2); a file that cannot be read is
			// a failure (1).
			if errors.Is(err, site.ErrNothingToPublish) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, app.ErrForeignFolder) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if err := plan.Apply(false); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "rbgen: published %d pages to %s (open %s)\n", len(plan.Changes)-1, opt.Out, filepath.Join(opt.Out, "index.html"))
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&opt.RunbookDir, "runbooks", "runbooks", "runbook `DIR`")
	fl.StringVar(&opt.PostmortemDir, "postmortems", "postmortems", "postmortem `DIR`")
	fl.StringVarP(&opt.Out, "out", "o", "", "site `DIR` to write")
	fl.StringVar(&opt.BaseURL, "base-url", "", "`URL` the site is served from, for canonical links (links inside stay relative)")
	_ = c.MarkFlagDirname("out")
	return c
}
