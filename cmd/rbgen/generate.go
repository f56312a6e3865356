package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
	"github.com/rbgen/rbgen/topology"
)

// docFlags are shared by the commands that write documents.
type docFlags struct {
	out       string
	templates string
	tocFiles  []string
}

func (f *docFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVarP(&f.out, "out", "o", "runbooks", "runbook `DIR`")
	fl.StringVar(&f.templates, "templates", "", "`DIR` of templates that replace the embedded ones by file name")
	fl.StringArrayVar(&f.tocFiles, "toc-file", nil, "also refresh the table between rbgen:toc markers in this `FILE` (repeatable)")
	_ = c.MarkFlagDirname("out")
	_ = c.MarkFlagDirname("templates")
}

func (f *docFlags) loadTemplates() (*template.Template, error) {
	t, err := generator.LoadTemplates(f.templates)
	if err != nil {
		return nil, usageError{err}
	}
	return t, nil
}

func newGenerateCmd(e *env) *cobra.Command {
	var src sourceFlags
	var docs docFlags
	var check, force bool
	var alertsPath, alertsFormat, summary string
	c := &cobra.Command{
		Use:   "generate [--input PATH]... --out DIR",
		Short: "Write RB-NNN runbooks derived from the traces",
		Long: `generate writes one runbook per node and symptom: high-error-rate and
high-latency for every service with traffic, degraded for every database,
cache, broker and external API. Each runbook's trigger, diagnosis order,
impact and escalation come from the week of traces and rbgen.yaml.

Runbook numbers are tied to their node and symptom forever (kept in
DIR/.rbgen-ids.json). A runbook whose node disappears is marked stale, never
deleted. Every runbook's alert goes into one rules file (DIR/rbgen-alerts.yaml
by default), one group per node, backtested on the traces read: each
runbook says how often its alert would have fired. Text inside <!-- rbgen:keep --> blocks survives regeneration; a file
edited anywhere else is not overwritten without --force.

Exit codes: 0 done (or nothing to change with --check), 1 --check found
changes or a write failed, 2 bad flags, input, config or template,
3 hand edits would be overwritten.`,
		Example: `  rbgen generate --demo --out runbooks/
  rbgen generate --input traces/ --config rbgen.yaml --out runbooks/
  rbgen generate --demo --out runbooks/ --check   # in CI: fail if the runbooks are stale`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := src.loadConfig()
			if err != nil {
				return err
			}
			tmpl, err := docs.loadTemplates()
			if err != nil {
				return err
			}
			if alertsFormat != "" && alertsFormat != "prometheus" && alertsFormat != "prometheusrule" {
				return usagef("--alerts-format: want prometheus or prometheusrule, got %q", alertsFormat)
			}
			rec := alerts.NewRecorder(cfg.Alerts.Dialect())
			b := topology.NewBuilder(src.builderOptions(cfg))
			b.Observe(rec.Observe)
			g, err := src.buildWith(cmd.Context(), e, args, cfg, b)
			if err != nil {
				return err
			}
			rec.UseNames(g)
			if !check {
				unlock, err := app.Lock(docs.out, app.LockWait)
				if err != nil {
					return err
				}
				defer unlock()
			}
			plan, err := app.Generate(app.GenerateInput{Graph: g, TOCFiles: docs.tocFiles,
				Options: generator.GenerateOptions{Dir: docs.out, Config: cfg, Templates: tmpl, Force: force,
					AlertsPath: alertsPath, AlertsFormat: alertsFormat, Series: rec, Replay: src.replayer(cmd.Context())}})
			if err != nil {
				return err
			}
			for _, w := range plan.Warnings {
				fmt.Fprintln(e.stderr, "rbgen: warning: "+w)
			}
			if check {
				return reportCheck(e, plan)
			}
			if err := plan.Apply(force); err != nil {
				return err
			}
			reportGenerate(e, plan)
			if !src.quiet {
				for _, l := range plan.Report.Lines() {
					fmt.Fprintln(e.stderr, "rbgen: "+l)
				}
			}
			return writeSummary(e, summary, plan.Report)
		},
	}
	src.register(c)
	docs.register(c)
	c.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 and list the files that would change")
	c.Flags().BoolVar(&force, "force", false, "overwrite runbooks edited outside keep blocks")
	c.Flags().StringVar(&summary, "summary", "", "write what changed since the last run, as Markdown, to `FILE` (- for stdout): a pull request body")
	c.Flags().StringVar(&alertsPath, "alerts", "", "write the alerting rules to this `FILE` (default: alerts.file in the config, else DIR/"+generator.AlertsFile+")")
	c.Flags().StringVar(&alertsFormat, "alerts-format", "", "rules file format: prometheus (a rules file) or prometheusrule (a prometheus-operator PrometheusRule); default alerts.format, else prometheus")
	return c
}

// writeSummary writes the report where --summary says, if anywhere.
func writeSummary(e *env, path string, r *generator.Report) error {
	switch path {
	case "":
		return nil
	case "-":
		_, err := io.WriteString(e.stdout, r.Markdown())
		return err
	}
	if err := os.WriteFile(path, []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func reportCheck(e *env, plan *generator.Plan) error {
	changes := plan.Changes
	for _, path := range plan.Refused {
		fmt.Fprintf(e.stdout, "edited by hand (would be refused): %s\n", path)
	}
	for _, ch := range changes {
		fmt.Fprintf(e.stdout, "would write (%s): %s\n", ch.Reason, ch.Path)
	}
	if len(changes) > 0 || len(plan.Refused) > 0 {
		return errCheckFailed
	}
	fmt.Fprintf(e.stderr, "rbgen: %s is up to date\n", plan.Dir)
	return nil
}

var errCheckFailed = errors.New("runbooks are not up to date: run rbgen generate without --check")

func reportGenerate(e *env, plan *generator.Plan) {
	fmt.Fprintf(e.stderr, "rbgen: runbooks in %s: %s\n", filepath.Clean(plan.Dir), plan.Summary())
}
