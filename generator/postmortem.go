package generator

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
)

// Postmortem is what the postmortem template renders.
type Postmortem struct {
	ID, File, Title string
	Start, End      time.Time
	Duration        string
	Severity        string
	// Level is the SEV level; LevelWhy says which row of the table it met.
	Level, LevelWhy string
	Summary         string // Markdown, escaped
	// Counted is the impact over the incident as the traces date it when
	// that is well inside the requested window, else over the window;
	// CountedOver says which.
	Counted      incident.IncidentImpact
	CountedOver  string
	A            *incident.Analysis
	Suspects     []SuspectView
	Impact       []ImpactRow
	Timeline     []Event
	FailureChart string // Mermaid
	LatencyChart string // Mermaid
	// Charts are every chart of the draft as data, for the charts file.
	Charts    []Chart
	Detection string
	Actions   []string // Markdown table rows
	Baseline  string
	// RunbooksNote says why Related runbooks lists none, when it does not.
	RunbooksNote string
	// Changes are the largest changes by node, edge and operation, and
	// MoreChanges how many more the analysis found.
	Changes     []ChangeRow
	MoreChanges int
	// Differs are the findings of what differs in the failing requests,
	// in words; Trigger names the probable trigger when one finding
	// explains most failures ("" otherwise).
	Differs []string
	Trigger string
	// ChartCaption says which minutes had no traffic and what the marks
	// on the charts are.
	ChartCaption string
	trigger      *incident.Finding
}

// FrontMatter is the draft's front matter: its suspects ranked, so an
// index can name the first without reading the body.
func (pm *Postmortem) FrontMatter() document.FrontMatter {
	fm := document.FrontMatter{ID: pm.ID, Title: Clean(pm.ID + ": " + pm.Title),
		Period:   document.Period{Start: pm.Start.Format(time.RFC3339), End: pm.End.Format(time.RFC3339)},
		Severity: pm.Severity, Level: pm.Level, Status: "draft", Generator: "rbgen"}
	for _, s := range pm.Suspects {
		fm.Suspects = append(fm.Suspects, Clean(s.Node))
	}
	if f := pm.trigger; f != nil {
		fm.Trigger = &document.Trigger{Attribute: Clean(f.Key), Value: Clean(f.Value), Service: Clean(f.Service)}
	}
	return fm
}

// ChangeRow is one line of the table of what moved, Markdown-escaped.
type ChangeRow struct {
	Kind, Name, PerMinute, Errors, P50, P99, Moved string
}

// SuspectView is a suspect ready for the document.
type SuspectView struct {
	Rank     int
	Node     string
	Kind     string // incident.KindLatency, KindErrors or KindBehaviour
	Share    string
	Evidence []string // in words, escaped
	// Facts are the same evidence as data, for a template that words it
	// itself (names unescaped: pipe them through md).
	Facts    []incident.Evidence
	Examples []string
	TraceQL  string
	Explore  string
	Runbooks []RunbookLink
	Dated    string
	// Chart is a Mermaid chart of its own signal per minute against the
	// baseline, and ChartNote says how to read it; empty below the first
	// three.
	Chart, ChartNote string
}

// RunbookLink points from a postmortem to a runbook.
type RunbookLink struct{ ID, Path, Symptom string }

// ImpactRow is one entry point's line in the impact table.
type ImpactRow struct {
	Name                                   string
	Requests, Failed, Slow                 int64
	FailedShare, SlowShare, BaselineFailed string
	BaselineP99, WindowP99                 string
}

// Event is one line of the timeline.
type Event struct{ Time, What string }

// PostmortemOptions are the inputs of PlanPostmortem besides the analysis.
type PostmortemOptions struct {
	Dir, RunbookDir string
	Title           string
	Config          *config.Config
	Templates       *template.Template
	Force           bool
	// Detections, when set, are the runbooks' alerts run over the
	// incident (DetectAlerts); Detection then says when they fire.
	Detections *Detections
}

// PostmortemID names a postmortem by its start day and a slug.
func PostmortemID(a *incident.Analysis, title string) string {
	slug := Slug(title)
	if title == "" {
		slug = "incident"
		if len(a.Suspects) > 0 {
			slug = Slug(a.Suspects[0].Node) + "-" + a.Suspects[0].Kind
		}
	}
	return "PM-" + a.Window.Start.UTC().Format("20060102") + "-" + slug
}

// PlanPostmortem works out the postmortem file and the index, writing nothing.
func PlanPostmortem(a *incident.Analysis, opt PostmortemOptions) (*Plan, error) {
	pm, err := buildPostmortem(a, opt)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := opt.Templates.ExecuteTemplate(&buf, "postmortem.md.tmpl", pm); err != nil {
		return nil, fmt.Errorf("render %s: %w", pm.File, err)
	}
	if _, _, ok := document.Split(buf.String()); !ok {
		return nil, fmt.Errorf("render %s: postmortem.md.tmpl must start with YAML front matter (---)", pm.File)
	}
	p := &Plan{Dir: opt.Dir}
	if err := p.offer(filepath.Join(opt.Dir, pm.File), buf.String(), opt.Force); err != nil {
		return nil, err
	}
	// The charts as data, for the site; rewritten with the draft.
	p.add(filepath.Join(opt.Dir, strings.TrimSuffix(pm.File, ".md")+ChartsSuffix), encodeCharts(pm.Charts), "charts")
	overlay := map[string][]byte{}
	for _, c := range p.Changes {
		overlay[c.Path] = c.Content
	}
	idx, err := planPostmortemIndex(opt.Dir, overlay)
	if err != nil {
		return nil, err
	}
	p.Changes = append(p.Changes, idx...)
	return p, nil
}

func buildPostmortem(a *incident.Analysis, opt PostmortemOptions) (*Postmortem, error) {
	id := PostmortemID(a, opt.Title)
	pm := &Postmortem{ID: id, File: id + ".md", A: a, Start: a.Window.Start.UTC(), End: a.Window.End.UTC()}
	pm.Title = opt.Title
	if pm.Title == "" {
		pm.Title = autoTitle(a)
	}
	pm.Duration = humanDuration(a.Window.End.Sub(a.Window.Start))
	pm.Level, pm.Severity, pm.LevelWhy = incidentLevel(a, opt.Config.Levels())
	pm.Baseline = fmt.Sprintf("%s to %s (%d traces%s)", a.Baseline.Start.UTC().Format("2006-01-02 15:04"),
		a.Baseline.End.UTC().Format("2006-01-02 15:04"), a.BaselineTraces, leftOutText(a.BaselineLeftOut))
	links, err := runbookLinks(opt.Dir, opt.RunbookDir)
	if err != nil {
		return nil, err
	}
	for i, s := range a.Suspects {
		if i == 5 {
			break
		}
		v := suspectView(i, s, a.Window, opt.Config, links)
		if i < 3 {
			if c, note := suspectChart(s, a.Minutes, a.Step); c != nil {
				v.Chart, v.ChartNote = c.Mermaid(), note
				pm.Charts = append(pm.Charts, *c)
			}
		}
		pm.Suspects = append(pm.Suspects, v)
	}
	pm.RunbooksNote = runbooksNote(pm.Suspects, opt.RunbookDir)
	pm.Counted, pm.CountedOver = a.Impact, pm.Duration
	if a.DetectedImpact != nil {
		pm.Counted = *a.DetectedImpact
		pm.CountedOver = fmt.Sprintf("%s, %s–%s UTC, the incident as the traces date it (the requested window held %s requests, %s failed)",
			humanDuration(a.DetectedTo.Sub(a.DetectedFrom)), hm(a.DetectedFrom), hm(a.DetectedTo), HumanCount(a.Impact.Requests), HumanCount(a.Impact.Failed))
	}
	pm.Impact = impactRows(pm.Counted)
	pm.Changes, pm.MoreChanges = changeRows(a.Changes)
	for _, f := range a.Differs {
		pm.Differs = append(pm.Differs, findingText(f))
	}
	if f, ok := a.ProbableTrigger(); ok {
		pm.trigger = &f
		pm.Trigger = triggerText(f)
	}
	pm.Timeline = timeline(a)
	if fc, lc := charts(a.Minutes, a.Step); fc != nil {
		marks := chartMarks(a, opt.Detections)
		fc.Marks, lc.Marks = marks, marks
		pm.FailureChart, pm.LatencyChart = fc.Mermaid(), lc.Mermaid()
		pm.ChartCaption = fc.Caption()
		pm.Charts = append(pm.Charts, *fc, *lc)
	}
	pm.Summary = summary(pm)
	pm.Detection = detection(a, opt.Config)
	if opt.Detections != nil {
		pm.Detection = detectionText(a, opt.Detections)
		pm.Timeline = alertEvents(pm.Timeline, opt.Detections)
	}
	pm.Actions = actions(pm, opt.Config)
	if opt.Detections != nil {
		pm.Actions = append(pm.Actions, detectActions(a, opt.Detections, opt.Config)...)
	}
	return pm, nil
}

func autoTitle(a *incident.Analysis) string {
	if len(a.Suspects) == 0 {
		return "Incident on " + a.Window.Start.UTC().Format("2006-01-02 15:04")
	}
	s := a.Suspects[0]
	switch s.Kind {
	case incident.KindErrors:
		return s.Node + " failing"
	case incident.KindBehaviour:
		return s.Node + " requests going wrong"
	}
	return s.Node + " slow"
}

// incidentLevel grades the incident by the SEV table: the share of the
// entry points' requests that failed or were slow over the incident as
// the traces date it (the requested window when they do not), and how
// long it lasted.
func incidentLevel(a *incident.Analysis, levels []config.IncidentLevel) (name, severity, why string) {
	from, to := a.Window.Start, a.Window.End
	if !a.Start.IsZero() {
		from = a.Start
		if a.Recovered && a.End.After(a.Start) {
			to = a.End
		}
	}
	var reqs, bad int64
	for _, m := range a.Minutes {
		if !m.T.Before(from) && m.T.Before(to) {
			reqs += m.Requests
			bad += m.Failed + m.Slow
		}
	}
	share := 0.0
	if reqs > 0 {
		share = 100 * float64(bad) / float64(reqs)
	}
	minutes := to.Sub(from).Minutes()
	for _, l := range levels {
		if share >= l.BadPercent && minutes >= l.Minutes {
			return l.Name, l.Severity, fmt.Sprintf("%s: %.3g%% of the entry points' requests failed or were slow over %s (the table's row: at least %g%% for %g min)",
				l.Name, share, humanDuration(to.Sub(from)), l.BadPercent, l.Minutes)
		}
	}
	return "", "low", ""
}

func suspectView(i int, s incident.Suspect, window topology.Window, cfg *config.Config, links map[string][]RunbookLink) SuspectView {
	v := SuspectView{Rank: i + 1, Node: s.Node, Kind: s.Kind, Share: Percent(s.Score), Examples: s.Examples, Runbooks: links[s.Node], Facts: s.Evidence}
	for _, e := range s.Evidence {
		v.Evidence = append(v.Evidence, MDSentence(EvidenceSentence(e)))
	}
	if len(s.Examples) > 0 {
		v.TraceQL = s.Examples[0]
		v.Explore = ExploreURL(cfg.GrafanaURL, cfg.TempoDatasource, s.Examples[0])
	}
	if !s.FirstDeviation.IsZero() {
		v.Dated = "deviated from " + hm(s.FirstDeviation) + " UTC, worst at " + hm(s.Peak)
		if s.FirstDeviation.Before(window.Start) {
			// The lead-in is context, not the incident.
			v.Dated = "was already deviating when the window opened at " + hm(window.Start) + " UTC (from " + hm(s.FirstDeviation) + " in the lead-in), worst at " + hm(s.Peak)
		}
		if s.Recovered {
			v.Dated += ", back to normal at " + hm(s.Recovery)
		} else {
			v.Dated += ", not recovered by the end of the window"
		}
	}
	return v
}

// maxChangeRows keeps the table of what moved to what a reader scans.
const maxChangeRows = 20

func changeRows(cs []incident.Change) ([]ChangeRow, int) {
	var out []ChangeRow
	for i, c := range cs {
		if i == maxChangeRows {
			return out, len(cs) - i
		}
		b, w := c.Baseline, c.Window
		r := ChangeRow{Kind: c.Kind, Name: Code(c.Name), Moved: strings.Join(c.Moved, ", "),
			PerMinute: rate(b.PerMinute) + " → " + rate(w.PerMinute),
			Errors:    Percent(b.ErrorRatio) + " → " + Percent(w.ErrorRatio),
			P50:       Millis(b.P50MS) + " → " + Millis(w.P50MS),
			P99:       Millis(b.P99MS) + " → " + Millis(w.P99MS)}
		switch {
		case b.Calls == 0:
			r.Errors, r.P50, r.P99 = "– → "+Percent(w.ErrorRatio), "– → "+Millis(w.P50MS), "– → "+Millis(w.P99MS)
		case w.Calls == 0:
			r.Errors, r.P50, r.P99 = Percent(b.ErrorRatio)+" → –", Millis(b.P50MS)+" → –", Millis(b.P99MS)+" → –"
		}
		out = append(out, r)
	}
	return out, 0
}

// rate formats calls per minute: three significant digits, whole numbers
// from a hundred up.
func rate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// runbooksNote explains an empty Related runbooks section, so a reader
// knows whether runbooks are missing or were never looked for.
func runbooksNote(suspects []SuspectView, dir string) string {
	if len(suspects) == 0 {
		return ""
	}
	for _, s := range suspects {
		if len(s.Runbooks) > 0 {
			return ""
		}
	}
	if dir == "" {
		return "None: no runbook directory was given."
	}
	d := filepath.ToSlash(dir)
	return fmt.Sprintf("None in %s for these suspects: %s writes runbooks for every node; run this command again to link them.", Code(d), Code("rbgen generate --out "+d))
}

func hm(t time.Time) string { return t.UTC().Format("15:04") }

func impactRows(im incident.IncidentImpact) []ImpactRow {
	var out []ImpactRow
	for _, e := range im.EntryPoints {
		r := ImpactRow{Name: e.Name, Requests: e.Requests, Failed: e.Failed, Slow: e.Slow,
			BaselineFailed: Percent(e.BaselineFailRatio), BaselineP99: Millis(e.BaselineP99MS), WindowP99: Millis(e.WindowP99MS)}
		if e.Requests > 0 {
			r.FailedShare = Percent(float64(e.Failed) / float64(e.Requests))
			r.SlowShare = Percent(float64(e.Slow) / float64(e.Requests))
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Failed+out[i].Slow > out[j].Failed+out[j].Slow })
	return out
}

func timeline(a *incident.Analysis) []Event {
	var ev []Event
	add := func(t time.Time, what string) {
		if !t.IsZero() {
			ev = append(ev, Event{Time: t.UTC().Format("15:04"), What: what})
		}
	}
	add(a.Window.Start, "start of the analysed window")
	add(a.Start, "the incident starts: the first minute out of the baseline's range")
	add(a.Peak, "the worst minute")
	if a.Recovered {
		add(a.End, "back to normal")
	}
	for i, s := range a.Suspects {
		if i == 3 {
			break
		}
		add(s.FirstDeviation, fmt.Sprintf("suspect #%d %s starts to deviate", i+1, MD(s.Node)))
		if s.Recovered {
			add(s.Recovery, fmt.Sprintf("suspect #%d %s back to normal", i+1, MD(s.Node)))
		}
	}
	for _, f := range a.Differs {
		if f.Key == "service.version" && f.NewInWindow {
			add(f.FirstSeen, fmt.Sprintf("%s %s first seen: a deploy", MD(f.Service), Code(f.Value)))
		}
	}
	add(firstFailure(a), "the first failing request")
	add(a.Window.End, "end of the analysed window")
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time < ev[j].Time })
	return ev
}

// suspectChart draws a suspect's own signal per minute as bars, with its
// baseline as a line, so the deviation and its dates read at a glance,
// and says how to read it. A step without traffic has a bar of 0.
func suspectChart(s incident.Suspect, ms []incident.Minute, unit time.Duration) (chart *Chart, note string) {
	if len(s.Series) != len(ms) || len(ms) == 0 || s.SeriesOf.Kind == "" {
		return nil, ""
	}
	step := chartStep(len(ms))
	c := &Chart{Title: chartText(s.Node + ": " + SignalName(s.SeriesOf))}
	var base []float64
	for i := 0; i < len(ms); i += step {
		sum, n := 0.0, 0
		for _, v := range s.Series[i:min(i+step, len(ms))] {
			if !math.IsNaN(v) {
				sum, n = sum+v, n+1
			}
		}
		c.Labels = append(c.Labels, pointLabel(ms[i].T, unit))
		c.Bars = append(c.Bars, sig3(sum/math.Max(float64(n), 1)))
		base = append(base, sig3(s.SeriesBaseline))
	}
	per := "per minute"
	switch {
	case unit > time.Minute:
		per = "per " + humanDuration(time.Duration(step)*unit)
		if step > 1 {
			per += " (their mean)"
		}
	case step > 1:
		per = fmt.Sprintf("per %d minutes (their mean)", step)
	}
	if math.IsNaN(s.SeriesBaseline) {
		return c, "Its own signal " + per + " (bars; none where it had no traffic); the baseline never saw it:"
	}
	c.Line = base
	return c, "Its own signal " + per + " (bars; none where it had no traffic) against the baseline (line):"
}

// chartStep is how many points of the series one point of a chart covers:
// long windows are drawn in steps of several to stay readable.
func chartStep(n int) int { return (n + 59) / 60 }

// pointLabel names a chart point: its time, and its day too when the
// series steps more than a minute (a window over two days).
func pointLabel(t time.Time, unit time.Duration) string {
	if unit > time.Minute {
		return t.UTC().Format("01-02 15:04")
	}
	return hm(t)
}

// chartText keeps a name from trace data to what a Mermaid chart title can
// hold: Mermaid decodes no entities there, so anything else becomes "_".
func chartText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && !isPlain(r) {
			return '_'
		}
		return r
	}, Clean(s))
}

// charts draws the entry points' failures and p95 per minute as xy
// charts, which GitHub, GitLab and the rbgen site render.
func charts(ms []incident.Minute, unit time.Duration) (failures, latency *Chart) {
	if len(ms) == 0 {
		return nil, nil
	}
	step := chartStep(len(ms))
	failures = &Chart{Title: "Failed requests per minute", YAxis: "failed", Bars: []float64{}}
	latency = &Chart{Title: "p95 latency per minute (ms)", YAxis: "ms", Line: []float64{}}
	switch {
	case unit > time.Minute:
		failures.Title = "Failed requests per " + humanDuration(time.Duration(step)*unit)
		latency.Title = fmt.Sprintf("p95 latency, worst %s of each %s (ms)", humanDuration(unit), humanDuration(time.Duration(step)*unit))
	case step > 1:
		failures.Title = fmt.Sprintf("Failed requests per %d minutes", step)
		latency.Title = fmt.Sprintf("p95 latency, worst minute of each %d (ms)", step)
	}
	gaps := false
	var gap []bool
	for i := 0; i < len(ms); i += step {
		var f, reqs int64
		var p float64
		for _, m := range ms[i:min(i+step, len(ms))] {
			f += m.Failed
			reqs += m.Requests
			p = max(p, m.P95MS)
		}
		failures.Bars = append(failures.Bars, float64(f))
		latency.Line = append(latency.Line, math.Round(p))
		gap = append(gap, reqs == 0)
		gaps = gaps || reqs == 0
	}
	if gaps {
		failures.Gaps, latency.Gaps = gap, gap
	}
	for _, c := range []*Chart{failures, latency} {
		for i := 0; i < len(ms); i += step {
			c.Labels = append(c.Labels, pointLabel(ms[i].T, unit))
		}
	}
	return failures, latency
}

func summary(pm *Postmortem) string {
	a := pm.A
	im := a.Impact
	var b strings.Builder
	if d := a.DetectedImpact; d != nil {
		// A long requested window would dilute a short incident.
		fmt.Fprintf(&b, "From %s to %s UTC on %s (the traces date the incident inside the requested %s–%s), %s requests reached the traced entry points; %s failed and %s were slower than their usual p99.",
			hm(a.DetectedFrom), hm(a.DetectedTo), a.DetectedFrom.Format("2006-01-02"), hm(pm.Start), hm(pm.End), HumanCount(d.Requests), pct(d.Failed, d.Requests), pct(d.Slow, d.Requests))
	} else {
		fmt.Fprintf(&b, "Between %s and %s UTC on %s, %s requests reached the traced entry points; %s failed and %s were slower than their usual p99.",
			hm(pm.Start), hm(pm.End), pm.Start.Format("2006-01-02"), HumanCount(im.Requests), pct(im.Failed, im.Requests), pct(im.Slow, im.Requests))
	}
	if len(pm.Suspects) > 0 {
		s := pm.Suspects[0]
		fmt.Fprintf(&b, " The traces point at %s first (%s of the evidence)", Code(s.Node), s.Share)
		if len(s.Evidence) > 0 {
			fmt.Fprintf(&b, ": %s", s.Evidence[0])
		}
		b.WriteString(".")
	} else {
		b.WriteString(" No node's own behaviour changed clearly against the baseline.")
	}
	return b.String()
}

func pct(n, total int64) string {
	if total == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (%s)", HumanCount(n), Percent(float64(n)/float64(total)))
}

func detection(a *incident.Analysis, cfg *config.Config) string {
	if a.Start.IsZero() {
		return "The traces show no minute clearly outside the baseline's range, so no alert derived from them would have fired."
	}
	forD := cfg.Thresholds.For.Duration
	return fmt.Sprintf("The traces first leave the baseline's range at %s UTC. An alert with the runbooks' %s `for` clause would fire at about %s UTC, if the condition held.",
		hm(a.Start), humanDuration(forD), hm(a.Start.Add(forD)))
}

// detectActions are the detection gaps: a suspect none of whose alerts
// fired gets an action to alert on it.
func detectActions(a *incident.Analysis, d *Detections, cfg *config.Config) []string {
	var out []string
	for _, node := range silentSuspects(a, d) {
		var ids []string
		for _, s := range d.SilentFor(node) {
			ids = append(ids, s.RunbookID)
		}
		owner := ownerName(cfg.OwnerOf(node, ""))
		if owner == "unowned" {
			owner = "owner of " + MD(node)
		}
		out = append(out, fmt.Sprintf("| **Detect**: %s's alerts (%s) stayed silent; tighten their thresholds or give it an objective in rbgen.yaml | %s | high | |",
			MD(node), strings.Join(ids, ", "), owner))
	}
	return out
}

func actions(pm *Postmortem, cfg *config.Config) []string {
	owner := func(node string) string {
		o := cfg.OwnerOf(node, "")
		if name := ownerName(o); name != "unowned" {
			return name
		}
		return "owner of " + MD(node)
	}
	out := triggerActions(pm.trigger, owner)
	for i, s := range pm.Suspects {
		if i == 2 {
			break
		}
		if s.Kind == incident.KindBehaviour {
			// The spans show what changed, not why: the reason is in the
			// service's logs for the same requests.
			out = append(out, fmt.Sprintf("| **Prevent**: read %s's logs for the example traces to see why its requests changed course (see Root cause) | %s | high | |",
				MD(s.Node), owner(s.Node)))
			continue
		}
		out = append(out, fmt.Sprintf("| **Prevent**: find and fix why %s deviated (see Root cause) | %s | high | |", MD(s.Node), owner(s.Node)))
	}
	switch {
	case len(pm.Suspects) > 0 && len(pm.Suspects[0].Runbooks) > 0:
		out = append(out, fmt.Sprintf("| **Detect**: check that %s's alert fired and its runbook helped; update its keep blocks | %s | medium | |",
			MD(pm.Suspects[0].Node), owner(pm.Suspects[0].Node)))
	case len(pm.Suspects) > 0:
		out = append(out, fmt.Sprintf("| **Detect**: %s has no runbook and so no alert: run rbgen generate on its traces | %s | high | |",
			MD(pm.Suspects[0].Node), owner(pm.Suspects[0].Node)))
	}
	out = append(out, "| **Prevent**: add a test or fault-injection exercise that reproduces this failure | | medium | |")
	return out
}

// triggerActions are what a probable trigger calls for: undo it now, and
// make sure the next one is caught before it reaches users.
func triggerActions(f *incident.Finding, owner func(string) string) []string {
	if f == nil {
		return nil
	}
	who := owner(f.Service)
	switch f.Key {
	case "service.version":
		return []string{
			fmt.Sprintf("| **Mitigate**: roll %s back from %s, or stop its canary | %s | high | |", MD(f.Service), Code(f.Value), who),
			fmt.Sprintf("| **Prevent**: add the test that would have caught %s %s's failures to its pipeline, and gate canaries on their error ratio | %s | high | |", MD(f.Service), Code(f.Value), who),
		}
	case "k8s.pod.name", "host.name", "k8s.node.name":
		return []string{
			fmt.Sprintf("| **Mitigate**: take %s out of rotation (cordon, drain or delete it) | %s | high | |", Code(f.Value), who),
			fmt.Sprintf("| **Prevent**: make %s's readiness and health checks fail on what broke %s, so the load balancer stops sending to it | %s | high | |", MD(f.Service), Code(f.Value), who),
		}
	}
	return []string{fmt.Sprintf("| **Mitigate**: stop or shed the requests with %s %s at %s | %s | high | |", Code(f.Key), Code(f.Value), MD(f.Service), who)}
}

// runbookLinks reads the runbook registry (as generate does: rebuilt from
// the runbooks when the file is gone) and links each node's runbooks,
// relative to the postmortem folder. A registry that does not parse is an
// error, not an empty list.
func runbookLinks(pmDir, rbDir string) (map[string][]RunbookLink, error) {
	out := map[string][]RunbookLink{}
	if rbDir == "" {
		return out, nil
	}
	reg, err := loadRegistry(rbDir)
	if err != nil {
		return nil, err
	}
	prefix, err := linkPrefix(pmDir, rbDir)
	if err != nil {
		return out, nil
	}
	keys := make([]string, 0, len(reg.IDs))
	for k := range reg.IDs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i := strings.LastIndex(k, "/")
		node, symptom := k[:i], k[i+1:]
		e := reg.IDs[k]
		out[node] = append(out[node], RunbookLink{ID: fmt.Sprintf("RB-%03d", e.Num), Path: prefix + e.File, Symptom: symptom})
	}
	return out, nil
}

// postmortemIntro opens the postmortems' index when it does not exist yet.
const postmortemIntro = `# Postmortems

Drafts generated by rbgen from the traces of each incident window against a
baseline. The sections marked for people (summary, trigger, detection,
resolution, action items, lessons learned) live in keep blocks: edit them
freely, rbgen carries them over when it regenerates a draft.

`

// PostmortemName matches a draft's file name.
var PostmortemName = regexp.MustCompile(`^PM-\d{8}-.*\.md$`)

func planPostmortemIndex(dir string, overlay map[string][]byte) ([]Change, error) {
	seen := map[string]bool{}
	files, err := FilesMatching(dir, PostmortemName)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		seen[f] = true
	}
	for path := range overlay {
		if PostmortemName.MatchString(filepath.Base(path)) {
			seen[filepath.Base(path)] = true
		}
	}
	names := sortedStrings(seen)
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // newest first
	var rows strings.Builder
	rows.WriteString("| Postmortem | Window (UTC) | Severity | First suspect | Status |\n|---|---|---|---|---|\n")
	for _, n := range names {
		path := filepath.Join(dir, n)
		b, ok := overlay[path]
		if !ok {
			if b, err = os.ReadFile(path); err != nil {
				return nil, err
			}
		}
		fm, _, err := document.Read(string(b))
		if err != nil && !errors.Is(err, document.ErrNoFrontMatter) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		suspect := ""
		if len(fm.Suspects) > 0 {
			suspect = fm.Suspects[0]
		}
		fmt.Fprintf(&rows, "| [%s](%s) | %s – %s | %s | %s | %s |\n", MD(fm.Title), n,
			MD(fm.Start), MD(fm.End), MD(strings.TrimSpace(fm.Level+" "+fm.Severity)), MD(suspect), MD(fm.Status))
	}
	path := filepath.Join(dir, IndexFile)
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		old, err = []byte(postmortemIntro), nil
	}
	if err != nil {
		return nil, err
	}
	next := replaceTOC(string(old), rows.String())
	if next == string(old) {
		return nil, nil
	}
	return []Change{{Path: path, Content: []byte(next), Reason: "index"}}, nil
}

// findingText says one finding the way BubbleUp shows it: "92% of
// checkout's failing requests ran service.version 1.4.3 (0% of the
// baseline's requests, 8% of its good ones)".
func findingText(f incident.Finding) string {
	what := fmt.Sprintf("had %s %s", Code(f.Key), Code(f.Value))
	switch f.Key {
	case "service.version":
		what = "ran " + Code(f.Key) + " " + Code(f.Value)
	case incident.OperationKey:
		what = "were " + Code(f.Value)
	case "k8s.pod.name", "host.name", "k8s.node.name":
		what = "ran on " + Code(f.Key) + " " + Code(f.Value)
	}
	base := Percent(f.BaselineShare) + " of the baseline's"
	if f.NewInWindow {
		base = "never seen in the baseline"
	}
	bad, good := "failing requests", "good requests"
	if f.Slow {
		bad, good = "requests slower than its baseline p99 ("+Millis(f.SlowerThanMS)+")", "faster ones"
	}
	return fmt.Sprintf("%s of %s's %s %s %s (%s; %s of its %s in the window).",
		Percent(f.BadShare), MD(f.Service), HumanCount(f.FailedTotal), bad, what, base, Percent(f.GoodShare), good)
}

// triggerText names the probable trigger and what it points at.
func triggerText(f incident.Finding) string {
	var kind string
	switch f.Key {
	case "service.version":
		kind = fmt.Sprintf("a deploy: %s %s", MD(f.Service), Code(f.Value))
		if f.NewInWindow {
			kind += fmt.Sprintf(", first seen at %s UTC", hm(f.FirstSeen))
		}
		kind += ". Roll it back (see " + MD(f.Service) + "'s runbook), and find the test that would have caught it"
	case "k8s.pod.name", "host.name", "k8s.node.name":
		kind = fmt.Sprintf("one instance: %s %s of %s. Take it out of rotation and check its health checks, disk, memory and neighbours", Code(f.Key), Code(f.Value), MD(f.Service))
	case "k8s.deployment.name", "k8s.statefulset.name":
		kind = fmt.Sprintf("one workload: %s %s of %s", Code(f.Key), Code(f.Value), MD(f.Service))
	case incident.OperationKey:
		kind = fmt.Sprintf("one operation: %s of %s", Code(f.Value), MD(f.Service))
	default:
		kind = fmt.Sprintf("%s %s of %s", Code(f.Key), Code(f.Value), MD(f.Service))
	}
	bad, good := "failing requests", "good requests"
	if f.Slow {
		bad, good = "slow requests", "faster ones"
	}
	return fmt.Sprintf("**Probable trigger: %s.** %s of %s's %s in the window had it, against %s of its %s.",
		kind, Percent(f.BadShare), MD(f.Service), bad, Percent(f.GoodShare), good)
}

// firstFailure is the first minute of the window with a failing request at
// the entry points, zero when none failed.
func firstFailure(a *incident.Analysis) time.Time {
	for _, m := range a.Minutes {
		if m.Failed > 0 && !m.T.Before(a.Window.Start) && m.T.Before(a.Window.End) {
			return m.T
		}
	}
	return time.Time{}
}

// alertEvents adds the minute each deployed alert started firing (the
// first three) to the timeline, in time order.
func alertEvents(ev []Event, d *Detections) []Event {
	for i, f := range d.Firings {
		if i == 3 {
			break
		}
		ev = append(ev, Event{Time: hm(f.Firing.Start), What: fmt.Sprintf("%s's alert %s fires", MD(f.RunbookID), Code(f.Alert))})
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time < ev[j].Time })
	return ev
}

// chartMarks places the deploys (versions first seen in the window) and
// the first alerts to fire on the charts' points.
func chartMarks(a *incident.Analysis, d *Detections) []Mark {
	step := chartStep(len(a.Minutes))
	at := func(t time.Time) int {
		for i, m := range a.Minutes {
			if !m.T.Before(t.Truncate(time.Minute)) {
				return i / step
			}
		}
		return -1
	}
	var out []Mark
	for _, f := range a.Differs {
		if f.Key == "service.version" && f.NewInWindow {
			if i := at(f.FirstSeen); i >= 0 {
				out = append(out, Mark{At: i, What: chartText(f.Service + " " + f.Value + " first seen")})
			}
		}
	}
	if d != nil {
		for i, f := range d.Firings {
			if i == 2 {
				break
			}
			if j := at(f.Firing.Start); j >= 0 {
				out = append(out, Mark{At: j, What: chartText(f.RunbookID + " " + f.Alert + " fires")})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// leftOutText says which stretches of the baseline were left out, and
// why: an earlier incident in the baseline would hide this one.
func leftOutText(out []incident.Outlier) string {
	if len(out) == 0 {
		return ""
	}
	var parts []string
	for i, o := range out {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(out)-3))
			break
		}
		what := fmt.Sprintf("entry points failing %s against a usual %s", Percent(o.Value), Percent(o.Typical))
		if o.Why == "latency" {
			what = fmt.Sprintf("entry points' p95 %s against a usual %s", Millis(o.Value), Millis(o.Typical))
		}
		parts = append(parts, fmt.Sprintf("%s–%s (%s)", o.From.UTC().Format("2006-01-02 15:04"), hm(o.To), what))
	}
	n := fmt.Sprintf("%d hours", len(out))
	if len(out) == 1 {
		n = "1 hour"
	}
	return fmt.Sprintf("; %s left out, in which the entry points were themselves failing or slow: %s", n, strings.Join(parts, ", "))
}
