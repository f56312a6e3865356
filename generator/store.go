package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/google/renameio/v2"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/topology"
)

// RegistryFile maps each runbook key to its number and file, forever: a key
// that disappears and comes back gets its old number, and no number is
// ever given to another key.
const RegistryFile = ".rbgen-ids.json"

// GraphFile is the graph the runbooks were generated from, kept beside
// them so that `rbgen publish` can draw the pictures without the traces.
const GraphFile = ".rbgen-graph.json"

type registry struct {
	Version int                      `json:"version"`
	Next    int                      `json:"next"`
	IDs     map[string]registryEntry `json:"ids"`
	// taken holds every slug in IDs, made on the first assignment: a new
	// key checks its slug in constant time, not against every file.
	taken map[string]bool
}

type registryEntry struct {
	Num  int    `json:"num"`
	File string `json:"file"`
}

type identity struct {
	key, id, slug, file string
	num                 int
}

// ErrBadRegistry says the registry file does not parse: a person has to
// mend it (or delete it, and rbgen rebuilds it from the runbooks).
var ErrBadRegistry = errors.New("runbook registry does not parse")

func loadRegistry(dir string) (*registry, error) {
	r := &registry{Version: 1, Next: 1, IDs: map[string]registryEntry{}}
	b, err := os.ReadFile(filepath.Join(dir, RegistryFile))
	if errors.Is(err, os.ErrNotExist) {
		return r, adoptFiles(dir, r)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", filepath.Join(dir, RegistryFile), ErrBadRegistry, err)
	}
	for _, e := range r.IDs {
		r.Next = max(r.Next, e.Num+1)
	}
	return r, nil
}

// adoptFiles rebuilds a lost registry from the runbooks' front matter.
func adoptFiles(dir string, r *registry) error {
	files, err := runbookFiles(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		fm, _, err := document.Read(string(b))
		num, key := FileNum(f), fm.RunbookKey()
		if err == nil && num > 0 && key != "" {
			r.IDs[key] = registryEntry{Num: num, File: f}
			r.Next = max(r.Next, num+1)
		}
	}
	return nil
}

// RunbookName matches a runbook's file name: its number, then its slug.
var RunbookName = regexp.MustCompile(`^RB-(\d{3,})-(.*)\.md$`)

// slugOf is the slug part of a runbook file name.
func slugOf(file string) string {
	if m := RunbookName.FindStringSubmatch(file); m != nil {
		return m[2]
	}
	return ""
}

// FileNum is the number in a runbook's file name, 0 for another file.
func FileNum(name string) int {
	m := RunbookName.FindStringSubmatch(name)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// FilesMatching lists the names of the files in dir that match name; a
// folder that does not exist holds none.
func FilesMatching(dir string, name *regexp.Regexp) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && name.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// runbookFiles lists RB-NNN-*.md files in dir, by number.
func runbookFiles(dir string) ([]string, error) {
	out, err := FilesMatching(dir, RunbookName)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := FileNum(out[i]), FileNum(out[j]); a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out, nil
}

// carryOver gives a merged or renamed node's runbook keys to the node it
// became, so its runbooks keep their numbers and files; the first node
// merged into a name that has none wins.
func (r *registry) carryOver(merged []topology.Merge) {
	for _, m := range merged {
		prefix := m.From + "/"
		for _, key := range slices.Sorted(maps.Keys(r.IDs)) {
			symptom, ok := strings.CutPrefix(key, prefix)
			if !ok || strings.Contains(symptom, "/") {
				continue
			}
			to := RunbookKey(m.Into, symptom)
			if _, taken := r.IDs[to]; !taken {
				r.IDs[to] = r.IDs[key]
				delete(r.IDs, key)
			}
		}
	}
}

// assign gives a key its identity, new keys the next number.
func (r *registry) assign(key, node, symptom string) identity {
	e, ok := r.IDs[key]
	if !ok {
		if r.taken == nil {
			r.taken = make(map[string]bool, len(r.IDs))
			for _, x := range r.IDs {
				r.taken[slugOf(x.File)] = true
			}
		}
		slug := Slug(node) + "-" + symptom
		if r.taken[slug] {
			sum := sha256.Sum256([]byte(key))
			slug += "-" + hex.EncodeToString(sum[:3])
		}
		r.taken[slug] = true
		e = registryEntry{Num: r.Next, File: fmt.Sprintf("RB-%03d-%s.md", r.Next, slug)}
		r.IDs[key] = e
		r.Next++
	}
	return identity{key: key, id: fmt.Sprintf("RB-%03d", e.Num), num: e.Num, slug: slugOf(e.File), file: e.File}
}

func (r *registry) encode() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// Change is one file a generation writes.
type Change struct {
	Path    string
	Content []byte
	Reason  string // new, updated, stale
}

// Plan is what a generation would do; Apply does it.
type Plan struct {
	Dir       string
	Changes   []Change
	Unchanged int
	// Refused are files edited outside keep blocks that the plan would
	// overwrite; Apply fails while there are any, unless forced.
	Refused []string
	Stale   []string
	// Remove are files of an earlier run that this one no longer writes
	// (old site pages); Apply removes them only after every change is in
	// place, so a failed write loses nothing.
	Remove []string
	// Warnings are for the person running it: relative runbook links,
	// noisy alerts.
	Warnings []string
	// Alerts are the rules the plan writes, in file order.
	Alerts []*Alert
	// Report is what changed in the system since the last run.
	Report *Report
}

// Summary counts the plan's files by why they change, then the unchanged:
// "27 updated, 2 new, 0 unchanged".
func (p *Plan) Summary() string {
	count := map[string]int{}
	for _, ch := range p.Changes {
		count[ch.Reason]++
	}
	var parts []string
	for _, k := range []string{"table of contents", "stale", "updated", "new"} {
		if count[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[k], k))
		}
	}
	return strings.Join(append(parts, fmt.Sprintf("%d unchanged", p.Unchanged)), ", ")
}

// EditedError lists hand-edited runbooks that regeneration would overwrite.
type EditedError struct{ Files []string }

func (e *EditedError) Error() string {
	return fmt.Sprintf("%s edited outside <!-- rbgen:keep --> blocks; move the edits into a keep block "+
		"(or the Notes section), or run again with --force to overwrite them", strings.Join(e.Files, ", "))
}

// GenerateOptions are the inputs of PlanRunbooks besides the graph.
type GenerateOptions struct {
	Dir       string
	Config    *config.Config
	Templates *template.Template
	Force     bool
	// AlertsPath is where the rules file goes (default: the config's
	// alerts.file, else rbgen-alerts.yaml in Dir); AlertsFormat overrides
	// alerts.format.
	AlertsPath, AlertsFormat string
	// Series are the span metrics the traces imply, for the backtest;
	// nil skips it.
	Series *alerts.Recorder
	// Replay, when set, backtests each threshold alert by its own
	// expression in Prometheus instead, over the numbers' period.
	Replay Replayer
}

// PlanRunbooks works out every file a generation writes, reading what is in
// Dir but writing nothing.
func PlanRunbooks(g *topology.Graph, opt GenerateOptions) (*Plan, error) {
	reg, err := loadRegistry(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("read runbook registry: %w", err)
	}
	reg.carryOver(g.Merged)
	scs := scenarios(g, opt.Config)
	ids := make([]identity, len(scs))
	for i, sc := range scs {
		ids[i] = reg.assign(RunbookKey(sc.node.Name, sc.symptom), sc.node.Name, sc.symptom)
	}
	refs := mainRunbooks(scs, ids)
	p := &Plan{Dir: opt.Dir}
	prev, err := readSnapshot(filepath.Join(opt.Dir, GraphFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// The snapshot only feeds the report; the runbooks do not need it.
		p.Warnings = append(p.Warnings, err.Error()+"; the summary compares with nothing")
	}
	current := map[string]bool{}
	rc := ruleContext{cfg: opt.Config, dialect: opt.Config.Alerts.Dialect(), rec: opt.Series, replay: opt.Replay,
		rulesName: rulesName(opt), window: g.Window, numbers: NumbersOf(g), tmpl: opt.Templates}
	for i, sc := range scs {
		current[ids[i].key] = true
		rb := derive(g, sc, rc, ids[i], refs)
		p.Alerts = append(p.Alerts, rb.Trigger.Alerts...)
		doc, err := renderRunbook(opt.Templates, rb)
		if err != nil {
			return nil, err
		}
		if err := p.offer(filepath.Join(opt.Dir, rb.File), doc, opt.Force); err != nil {
			return nil, err
		}
	}
	if err := p.markStale(reg, current, opt.Force); err != nil {
		return nil, err
	}
	rules, err := rulesFile(p.Alerts, opt)
	if err != nil {
		return nil, err
	}
	p.add(rulesPath(opt), rules, "alerts")
	p.Warnings = append(p.Warnings, alertWarnings(p.Alerts, opt.Config)...)
	p.add(filepath.Join(opt.Dir, RegistryFile), reg.encode(), "registry")
	snapshot, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	p.add(filepath.Join(opt.Dir, GraphFile), append(snapshot, '\n'), "registry")
	p.Report = Compare(prev, g, opt.Config)
	p.Report.AddPlan(p)
	return p, nil
}

// mainRunbooks maps each node to the runbook diagnosis links point to.
func mainRunbooks(scs []scenario, ids []identity) map[string]string {
	refs := map[string]string{}
	for i, sc := range scs {
		if _, ok := refs[sc.node.Name]; !ok || sc.symptom == SymptomErrors || sc.symptom == SymptomDegraded {
			refs[sc.node.Name] = ids[i].file
		}
	}
	return refs
}

// datesRE matches the dates and times generated text shows (the traces'
// period, backtest firings), and the hash that covers them.
var datesRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z| \d{2}:\d{2})?|(?m)^rbgen_hash: .*$`)

// dateless is a document with its dates blanked, to tell a change of
// substance from a week's new dates.
func dateless(doc string) string { return datesRE.ReplaceAllString(doc, "#") }

// offer adds a runbook to the plan unless the file on disk already says the
// same, keeping people's keep blocks and refusing to clobber hand edits.
func (p *Plan) offer(path, doc string, force bool) error {
	oldB, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		p.add(path, []byte(seal(doc)), "new")
		return nil
	}
	if err != nil {
		return err
	}
	old := string(oldB)
	doc = carryOver(doc, old)
	// The traces' dates alone are no reason to rewrite a file.
	if oldFM, _, err := document.Read(old); err == nil && oldFM.Observed != "" {
		doc = document.Set(doc, document.KeyObserved, oldFM.Observed)
	}
	sealed := seal(doc)
	if sealed == old || !edited(old) && dateless(sealed) == dateless(old) {
		// A new week whose only change is its dates rewrites nothing.
		p.Unchanged++
		return nil
	}
	if edited(old) && !force {
		p.Refused = append(p.Refused, path)
		return nil
	}
	reason := "updated"
	if oldFM, _, err := document.Read(old); err == nil && oldFM.Status == "stale" {
		reason = "back"
	}
	p.add(path, []byte(sealed), reason)
	return nil
}

// markStale flags runbooks whose key the traces no longer show. They keep
// their file and number; only the status line changes.
func (p *Plan) markStale(reg *registry, current map[string]bool, force bool) error {
	keys := make([]string, 0, len(reg.IDs))
	for k := range reg.IDs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if current[k] {
			continue
		}
		path := filepath.Join(p.Dir, reg.IDs[k].File)
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted by a person: the number stays reserved
		}
		if err != nil {
			return err
		}
		doc := string(b)
		if fm, _, err := document.Read(doc); err == nil && fm.Status == "stale" {
			p.Unchanged++
			continue
		}
		p.Stale = append(p.Stale, path)
		next := document.Set(doc, document.KeyStatus, "stale")
		if !edited(doc) {
			next = seal(next)
		}
		p.add(path, []byte(next), "stale")
	}
	return nil
}

func (p *Plan) add(path string, content []byte, reason string) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		if reason != "registry" {
			p.Unchanged++
		}
		return
	}
	p.Changes = append(p.Changes, Change{Path: path, Content: content, Reason: reason})
}

// Apply writes the plan: every file to a temporary file first, and only
// when all are written, each renamed into place. A failure before the
// renames leaves every previous file untouched.
func (p *Plan) Apply(force bool) error {
	if len(p.Refused) > 0 && !force {
		return &EditedError{Files: p.Refused}
	}
	if err := writeAll(p.Changes); err != nil {
		return err
	}
	for _, path := range p.Remove {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
	}
	return nil
}

func writeAll(changes []Change) error {
	var pending []*renameio.PendingFile
	defer func() {
		for _, f := range pending {
			f.Cleanup()
		}
	}()
	for _, c := range changes {
		if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
		if fi, err := os.Stat(c.Path); err == nil && !fi.Mode().IsRegular() {
			// Renaming over a device or a pipe would replace it.
			return fmt.Errorf("write %s: not a regular file (%s), so rbgen will not replace it", c.Path, fi.Mode().Type())
		}
		f, err := renameio.NewPendingFile(c.Path, renameio.WithPermissions(0o644), renameio.WithExistingPermissions())
		if err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
		pending = append(pending, f)
		if _, err := f.Write(c.Content); err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
	}
	for i, f := range pending {
		if err := f.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("write %s: %w", changes[i].Path, err)
		}
	}
	return nil
}
