package incident

import (
	"math"
	"sort"

	"github.com/rbgen/rbgen/topology"
)

// A handler's shape is what one request to a service's operation did
// inside that service: the operations it ran and the calls it made, in
// order. Code faults often leave no status and no delay, only a changed
// shape: a handler that returns early stops calling what it used to, one
// that throws runs the framework's error dispatch, a caller that got a bad
// answer ends where it used to go on. Steps are counted once per request
// (present or not), so a loop of fifty calls weighs as much as one; how
// many times a request ran each step is kept apart, for retries.

// handlerKey names a service's operation as its entry point: the span
// whose parent is in another service or missing.
type handlerKey struct{ svc, op string }

// stepKey is a handler running next right after prev (both items), or,
// with prev empty, a handler running item next at all.
type stepKey struct {
	handlerKey
	prev, next string
}

// Items of a handler's sequence: its own operations by name, the calls it
// makes as "→ service: operation", and the two ends.
const (
	seqStart = StepStart
	seqEnd   = StepEnd
)

// maxShapeKeys bounds a bucket's shape keys: a service that puts IDs in
// span names would otherwise grow them without end.
const maxShapeKeys = 50000

// handlerShapes counts handlers and their items and steps, and how long
// (in distinct items) the requests that ran each item were.
type handlerShapes struct {
	handlers map[handlerKey]int64
	steps    map[stepKey]int64
	lengths  map[stepKey]int64 // summed over the requests with the item; prev empty, next empty for the handler
	// runs and runs2 sum, over the requests that ran an item, how many
	// times each ran it and its square: a retry or a longer loop shows
	// there, where presence does not change.
	runs, runs2 map[stepKey]float64
	// examples are the lowest trace IDs that took each step (the lowest,
	// so the choice does not depend on the order traces arrive in).
	examples map[stepKey][]string
}

func newHandlerShapes() handlerShapes {
	return handlerShapes{handlers: map[handlerKey]int64{}, steps: map[stepKey]int64{},
		lengths: map[stepKey]int64{}, examples: map[stepKey][]string{},
		runs: map[stepKey]float64{}, runs2: map[stepKey]float64{}}
}

// addTrace records the shape of every request served in one trace.
func (h *handlerShapes) addTrace(t *topology.Trace, trace string) {
	for i := range t.Spans {
		if t.Enters(i) {
			h.addHandler(t, i, trace)
		}
	}
}

func (h *handlerShapes) addHandler(t *topology.Trace, root int, trace string) {
	spans := t.Spans
	type item struct {
		start uint64
		depth int
		name  string
	}
	var items []item
	var walk func(i, depth int)
	walk = func(i, depth int) {
		for _, c := range t.Children(i) {
			s := &spans[c]
			if s.Service != spans[root].Service {
				items = append(items, item{s.Start, depth, "→ " + s.Service + ": " + s.Op})
				continue
			}
			items = append(items, item{s.Start, depth, s.Op})
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	sort.SliceStable(items, func(a, b int) bool {
		if items[a].start != items[b].start {
			return items[a].start < items[b].start
		}
		return items[a].depth < items[b].depth
	})
	k := handlerKey{spans[root].Service, spans[root].Op}
	h.handlers[k]++
	seen := map[stepKey]bool{}
	times := map[string]float64{}
	for _, it := range items {
		times[it.name]++
	}
	prev := seqStart
	mark := func(s stepKey) {
		if !seen[s] {
			seen[s] = true
			h.count(s, 1)
			h.example(s, trace)
		}
	}
	mark(stepKey{k, "", seqStart})
	for _, it := range items {
		if it.name == prev {
			continue // a loop over the same operation is one step
		}
		mark(stepKey{k, "", it.name})
		mark(stepKey{k, prev, it.name})
		prev = it.name
	}
	mark(stepKey{k, prev, seqEnd})
	n := int64(len(seen))
	h.lengths[stepKey{handlerKey: k}] += n
	for s := range seen {
		if s.prev == "" {
			h.addLength(s, n)
			h.addRuns(s, times[s.next], times[s.next]*times[s.next])
		}
	}
}

func (h *handlerShapes) addRuns(k stepKey, n, n2 float64) {
	if _, ok := h.steps[k]; ok && n > 0 {
		h.runs[k] += n
		h.runs2[k] += n2
	}
}

// addLength sums request lengths for a handler or an item it still counts.
func (h *handlerShapes) addLength(k stepKey, n int64) {
	if _, ok := h.steps[k]; ok || k.next == "" {
		h.lengths[k] += n
	}
}

func (h *handlerShapes) count(s stepKey, n int64) {
	if _, ok := h.steps[s]; !ok && len(h.steps) >= maxShapeKeys {
		return
	}
	h.steps[s] += n
}

func (h *handlerShapes) merge(o handlerShapes) {
	for k, v := range o.handlers {
		h.handlers[k] += v
	}
	for k, v := range o.steps {
		h.count(k, v)
	}
	for k, v := range o.lengths {
		h.addLength(k, v)
	}
	for k, n := range o.runs {
		h.addRuns(k, n, o.runs2[k])
	}
	for k, ids := range o.examples {
		for _, id := range ids {
			h.example(k, id)
		}
	}
}

// example keeps trace among a step's examples if it is one of the lowest.
func (h *handlerShapes) example(k stepKey, trace string) {
	if _, ok := h.steps[k]; !ok {
		return
	}
	ids := h.examples[k]
	i := sort.SearchStrings(ids, trace)
	if i < len(ids) && ids[i] == trace || i >= maxExamples {
		return
	}
	ids = append(ids, "")
	copy(ids[i+1:], ids[i:])
	ids[i] = trace
	h.examples[k] = ids[:min(len(ids), maxExamples)]
}

// context is how many handlers a step could have happened in: those that
// ran prev, or all of them for an item's presence.
func (h *handlerShapes) context(s stepKey) int64 {
	if s.prev == "" {
		return h.handlers[s.handlerKey]
	}
	return h.steps[stepKey{s.handlerKey, "", s.prev}]
}

// minShapeContext is how many baseline handlers a shape needs before its
// frequencies are trusted.
const minShapeContext = 5

// shapeChange is one step that happened more or less often than the
// baseline's frequency predicts, or, with repeats set, an item that ran
// more times per request.
type shapeChange struct {
	step             stepKey
	window, expected float64
	context          int64
	baseline         float64 // the step's share in the baseline; with repeats, its runs per request
	smoothed         float64 // the share the expectation used
	z                float64
	repeats          bool
}

// shapeChanges scores every step of the window against the baseline. The
// baseline frequency is smoothed so a step never seen in a small baseline
// still needs several occurrences to count.
func shapeChanges(base, win *handlerShapes) []shapeChange {
	keys := map[stepKey]bool{}
	for k := range base.steps {
		keys[k] = true
	}
	for k := range win.steps {
		keys[k] = true
	}
	var out []shapeChange
	for k := range keys {
		bc, wc := base.context(k), win.context(k)
		if bc < minShapeContext || wc == 0 {
			continue
		}
		p := (float64(base.steps[k]) + 0.5) / (float64(bc) + 1)
		expected := p * float64(wc)
		observed := float64(win.steps[k])
		z := excess(observed, expected)
		if z > 0 && worsens(base, k, observed > expected) {
			out = append(out, shapeChange{step: k, window: observed, expected: expected, context: wc,
				baseline: float64(base.steps[k]) / float64(bc), smoothed: p, z: z})
		}
	}
	out = append(out, repeatChanges(base, win)...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].z != out[j].z {
			return out[i].z > out[j].z
		}
		if out[i].repeats != out[j].repeats {
			return out[j].repeats
		}
		return lessStep(out[i].step, out[j].step)
	})
	return out
}

// repeatChanges are the items the window's requests ran more times each
// than the baseline's did: retries, or a loop running longer. The score
// uses the baseline's spread of runs per request, since runs within one
// request come together and a Poisson law would understate it.
func repeatChanges(base, win *handlerShapes) []shapeChange {
	var out []shapeChange
	for k, wr := range win.runs {
		bn, wn := float64(base.steps[k]), float64(win.steps[k])
		if bn < minShapeContext || wn == 0 {
			continue
		}
		bm, wm := base.runs[k]/bn, wr/wn
		sd := math.Sqrt(math.Max(base.runs2[k]/bn-bm*bm, 0))
		// Half a run of spread at least: a baseline that always ran an
		// item once has none, and one extra run in a few requests is noise.
		z := (wm - bm) / (math.Max(sd, 0.5) / math.Sqrt(wn))
		if z > 0 {
			out = append(out, shapeChange{step: k, window: wm, expected: bm, context: int64(wn), baseline: bm, z: z, repeats: true})
		}
	}
	return out
}

// worsens says a step's change is the kind a fault makes: requests doing
// less of their usual path (a step of the longer requests vanishes), or
// ending early or somewhere new (the end, a step of the shorter requests,
// or a step never seen appears). The opposite changes are a recovery: a
// baseline that held failures shows their short paths vanishing, and that
// is nobody's fault.
func worsens(base *handlerShapes, k stepKey, more bool) bool {
	if more {
		return k.next == seqEnd || base.steps[k] == 0 || base.short(k.handlerKey, k.next)
	}
	return k.next != seqEnd && !base.short(k.handlerKey, k.next)
}

// short says the requests that ran item were shorter than the handler's
// requests on average: item is on an early way out.
func (h *handlerShapes) short(k handlerKey, item string) bool {
	n := h.steps[stepKey{k, "", item}]
	if n == 0 || h.handlers[k] == 0 {
		return false
	}
	mean := float64(h.lengths[stepKey{handlerKey: k}]) / float64(h.handlers[k])
	return float64(h.lengths[stepKey{k, "", item}])/float64(n) < mean
}

func lessStep(a, b stepKey) bool {
	if a.svc != b.svc {
		return a.svc < b.svc
	}
	if a.op != b.op {
		return a.op < b.op
	}
	if a.prev != b.prev {
		return a.prev < b.prev
	}
	return a.next < b.next
}

// size is how many times more or less often the step happened, as the
// log of the ratio of its smoothed shares.
func (c shapeChange) size() float64 {
	if c.repeats {
		return math.Log(c.window / c.baseline)
	}
	return math.Abs(math.Log((c.window + 0.5) / (float64(c.context) + 1) / c.smoothed))
}

// value is one minute's share of the step (with repeats, its runs per
// request), and whether the minute held any request it applies to.
func (c shapeChange) value(h *handlerShapes) (float64, bool) {
	n := h.context(c.step)
	if c.repeats {
		n = h.steps[c.step]
	}
	if n == 0 {
		return 0, false
	}
	if c.repeats {
		return h.runs[c.step] / float64(n), true
	}
	return float64(h.steps[c.step]) / float64(n), true
}

// minute is how far one minute's value moved from the baseline, when it
// moved at least half as far as the whole window's did and the same way;
// otherwise 0.
func (c shapeChange) minute(h *handlerShapes) float64 {
	v, ok := c.value(h)
	if !ok {
		return 0
	}
	moved := v - c.baseline
	whole := c.window/float64(c.context) - c.baseline
	if c.repeats {
		whole = c.window - c.baseline
	}
	if moved*whole <= 0 || math.Abs(moved) < 0.5*math.Abs(whole) {
		return 0
	}
	return math.Abs(moved)
}

// evidence is the change as data.
func (c shapeChange) evidence() Evidence {
	e := Evidence{Kind: EvidenceStep, Operation: c.step.op, Step: Step{c.step.prev, c.step.next},
		Window: c.window / float64(c.context), Baseline: c.baseline, Unit: UnitShare}
	if c.repeats {
		e.Kind, e.Window, e.Unit = EvidenceRepeats, c.window, UnitRuns
	}
	return e
}

// signal is what a behaviour suspect's chart shows.
func (c shapeChange) signal() Signal {
	if c.repeats {
		return Signal{Kind: SignalRepeats, Unit: UnitRuns}
	}
	return Signal{Kind: SignalStepShare, Unit: UnitPercent}
}
