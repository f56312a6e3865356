package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/generator"
)

// siteMarker marks a folder as rbgen's output, so that pages of runbooks
// that no longer exist can be removed without touching anything else.
const siteMarker = ".rbgen-site"

func newPublishCmd(e *env) *cobra.Command {
	var opt generator.SiteOptions
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
			changes, err := generator.Publish(opt)
			// A folder that is missing or holds nothing is the user's to
			// fix (exit 2); a file that cannot be read is a failure (1).
			if errors.Is(err, generator.ErrNothingToPublish) || errors.Is(err, fs.ErrNotExist) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if err := clearOldPages(opt.Out, changes); err != nil {
				return err
			}
			changes = append(changes, generator.Change{Path: filepath.Join(opt.Out, siteMarker), Content: []byte("rbgen publish output; pages here are replaced on each run\n")})
			if err := generator.WriteChanges(changes); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "rbgen: published %d pages to %s (open %s)\n", len(changes)-1, opt.Out, filepath.Join(opt.Out, "index.html"))
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

// clearOldPages removes pages of an earlier run that this run does not
// write; it refuses to publish into a non-empty folder rbgen did not make.
func clearOldPages(out string, keep []generator.Change) error {
	entries, err := os.ReadDir(out)
	if os.IsNotExist(err) || err == nil && len(entries) == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, siteMarker)); err != nil {
		return usagef("%s is not empty and was not made by rbgen publish: choose another --out", out)
	}
	wanted := map[string]bool{}
	for _, c := range keep {
		wanted[filepath.Clean(c.Path)] = true
	}
	return filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") || wanted[filepath.Clean(path)] {
			return err
		}
		return os.Remove(path)
	})
}
