package generator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
)

// Detection is one firing of a runbook's alert in an incident's traces.
type Detection struct {
	Alert, RunbookID, Node string
	Firing                 alerts.Firing
}

// Detections are what the runbooks' alerts do over an incident, and which
// alerts those are.
type Detections struct {
	Firings []Detection
	// Silent are the alerts that did not fire, Firing zero.
	Silent []Detection
	// Alerts is how many alerts were evaluated; Source says which (the
	// ones generate wrote, or ones derived from these traces).
	Alerts int
	Source string
	// From and To bound the evaluation.
	From, To time.Time
}

// DetectAlerts evaluates the runbooks' alerts over the recorded series
// from `from` to `to`. The alerts are those generate wrote: derived again
// from the graph snapshot and config in opt.Dir (the runbook folder), so
// the thresholds are the deployed ones; without a snapshot, from g (the
// incident's own traces), and Source says so.
func DetectAlerts(g *topology.Graph, opt GenerateOptions, rec *alerts.Recorder, from, to time.Time) (*Detections, error) {
	source := "the runbooks' alerts, as generate wrote them"
	snap, err := readSnapshot(filepath.Join(opt.Dir, GraphFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		snap = g
		source = "alerts derived from these traces (the runbook folder holds no graph snapshot of a generate run)"
	case err != nil:
		return nil, err
	}
	opt.Series = nil
	p, err := PlanRunbooks(snap, opt)
	if err != nil {
		return nil, err
	}
	d := &Detections{Alerts: len(p.Alerts), Source: source, From: from, To: to}
	for _, a := range p.Alerts {
		det := Detection{Alert: a.Name, RunbookID: a.Rule.Labels["rbgen_id"], Node: a.Node.Name}
		fs := alerts.Evaluate(a.Cond, SeriesOf(rec, a.Node), a.Target.Buckets, from, to)
		if len(fs) == 0 {
			d.Silent = append(d.Silent, det)
		}
		for _, f := range fs {
			det.Firing = f
			d.Firings = append(d.Firings, det)
		}
	}
	sort.SliceStable(d.Firings, func(i, j int) bool {
		if !d.Firings[i].Firing.Start.Equal(d.Firings[j].Firing.Start) {
			return d.Firings[i].Firing.Start.Before(d.Firings[j].Firing.Start)
		}
		return d.Firings[i].Alert < d.Firings[j].Alert
	})
	return d, nil
}

// ReadGraph reads a graph snapshot or an rbgen graph --format json output.
func ReadGraph(path string) (*topology.Graph, error) { return readSnapshot(path) }

func readSnapshot(path string) (*topology.Graph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g topology.Graph
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("read graph %s: %w", path, err)
	}
	return &g, nil
}

// SilentFor are the alerts of a node that did not fire.
func (d *Detections) SilentFor(node string) []Detection {
	var out []Detection
	for _, s := range d.Silent {
		if s.Node == node {
			out = append(out, s)
		}
	}
	return out
}

// firedFor says whether any alert of the node fired.
func (d *Detections) firedFor(node string) bool {
	for _, f := range d.Firings {
		if f.Node == node {
			return true
		}
	}
	return false
}

// silentSuspects are the first suspects none of whose alerts fired: gaps
// in detection.
func silentSuspects(a *incident.Analysis, d *Detections) []string {
	var out []string
	for i, s := range a.Suspects {
		if i == 3 {
			break
		}
		if !d.firedFor(s.Node) && len(d.SilentFor(s.Node)) > 0 {
			out = append(out, s.Node)
		}
	}
	return out
}

// maxDetectionsListed bounds the other firings the Detection names.
const maxDetectionsListed = 4

// detectionText says when the first alert fired, against the moment the
// traces first left the baseline's range.
func detectionText(a *incident.Analysis, d *Detections) string {
	if len(d.Firings) == 0 {
		return fmt.Sprintf("None of the %d alerts evaluated (%s) fires in these traces between %s and %s UTC: nothing would have paged. "+
			"Lower the thresholds of the suspects' runbooks, or add an objective for them in rbgen.yaml.",
			d.Alerts, d.Source, hm(d.From), hm(d.To)) + silentText(a, d)
	}
	first := d.Firings[0]
	s := fmt.Sprintf("%s's alert %s fires at %s UTC", first.RunbookID, Code(first.Alert), hm(first.Firing.Start))
	if !a.Start.IsZero() {
		lag := first.Firing.Start.Sub(a.Start)
		switch {
		case lag >= 0:
			s += fmt.Sprintf(", %s after the traces first leave the baseline's range (%s UTC)", humanSpan(lag), hm(a.Start))
		default:
			s += fmt.Sprintf(", %s before the traces clearly leave the baseline's range (%s UTC)", humanSpan(-lag), hm(a.Start))
		}
	}
	if first.Firing.Open {
		s += fmt.Sprintf(", and is still firing at %s UTC, where the traces examined end.", hm(first.Firing.End))
	} else {
		s += fmt.Sprintf(", and clears at %s UTC.", hm(first.Firing.End))
	}
	s += fmt.Sprintf(" Time to detect: %s from the window's start.", humanSpan(max(0, first.Firing.Start.Sub(a.Window.Start))))
	var more []string
	for i, f := range d.Firings[1:] {
		if i == maxDetectionsListed {
			more = append(more, fmt.Sprintf("%d more", len(d.Firings)-1-i))
			break
		}
		end := hm(f.Firing.End)
		if f.Firing.Open {
			end += " (still firing)"
		}
		more = append(more, fmt.Sprintf("%s (%s) at %s–%s", Code(f.Alert), f.RunbookID, hm(f.Firing.Start), end))
	}
	if len(more) > 0 {
		s += " Also firing: " + strings.Join(more, ", ") + "."
	}
	s += silentText(a, d)
	return s + fmt.Sprintf(" Evaluated: %s, on the span metrics these traces imply.", d.Source)
}

// silentText names the suspects whose alerts stayed silent.
func silentText(a *incident.Analysis, d *Detections) string {
	var parts []string
	for _, node := range silentSuspects(a, d) {
		var names []string
		for _, s := range d.SilentFor(node) {
			names = append(names, fmt.Sprintf("%s (%s)", Code(s.Alert), s.RunbookID))
		}
		parts = append(parts, fmt.Sprintf("%s's %s", Code(node), strings.Join(names, " and ")))
	}
	if len(parts) == 0 {
		return ""
	}
	return " Silent through the window although the traces point at them: " + strings.Join(parts, "; ") + "."
}
