package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
	"github.com/rbgen/rbgen/prometheus"
	"github.com/rbgen/rbgen/tempo"
	"github.com/rbgen/rbgen/tracefile"
)

// env is everything a command touches outside the process, so whole
// commands run in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	getenv         func(string) string
	isTTY          bool
}

// Exit codes; documented in the README.
const (
	exitOK     = 0
	exitFail   = 1 // something went wrong, or --check found changes
	exitUsage  = 2 // bad flags, bad input files, bad config or template
	exitEdited = 3 // regeneration would overwrite hand edits
	exitSource = 4 // the trace source failed: Tempo unreachable, refused us, or had nothing
)

// usageError marks errors in how rbgen was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func run(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		// Writes are planned first and applied at the end, so a run
		// stopped while it reads or plans has written nothing.
		err = errors.New("stopped by a signal before writing anything")
	}
	fmt.Fprintf(e.stderr, "rbgen: %v\n", err)
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	var appInput *app.InputError
	var ie *tracefile.InputError
	var edited *generator.EditedError
	var source *tempo.SourceError
	var promErr *prometheus.Error
	switch {
	case errors.As(err, &edited):
		return exitEdited
	case errors.As(err, &source), errors.As(err, &promErr):
		return exitSource
	case errors.As(err, &ue), errors.As(err, &ie), errors.As(err, &appInput), errors.Is(err, demo.ErrIdleFault), errors.Is(err, tracefile.ErrNoInput), errors.Is(err, generator.ErrBadRegistry):
		return exitUsage
	}
	return exitFail
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "rbgen",
		Short: "Runbooks and postmortems from distributed traces",
		Long: `rbgen reads a week of OpenTelemetry traces (from files or Grafana Tempo),
builds the service dependency graph they show, and writes operations docs
from it: runbooks, postmortems, a table of contents and an HTML site.

A tour on the bundled demo week of a 12-service shop:

  rbgen graph --demo --format mermaid        # the dependency graph
  rbgen generate --demo --out runbooks/      # RB-NNN runbooks and their index
  rbgen publish --out site/                  # an HTML site; open site/index.html
  rbgen demo --days 2 --peak-per-hour 600 --out incident.jsonl.gz \
    --fault node=checkout,start=2026-11-10T14:00:00Z,end=2026-11-10T14:30:00Z,errors=1
  rbgen postmortem -i incident.jsonl.gz --start 2026-11-10T14:00:00Z --end 2026-11-10T14:30:00Z

With your own traces use --input PATH, or --tempo HOST:PORT --tempo-http URL.
rbgen --update-toc refreshes runbooks/README.md from the files alone.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newGraphCmd(e), newGenerateCmd(e), newPostmortemCmd(e), newPublishCmd(e), newDemoCmd(e), newDiffCmd(e))
	registerUpdateTOC(root, e)
	return root
}
