package generator

import (
	"fmt"
	"sort"
	"time"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/topology"
)

// sighting is one failure pattern and where it was seen: an operation of
// the node, or a dependency it calls.
type sighting struct {
	topology.Failure
	where string // Markdown
}

// failuresStep lists what the node's failing spans and its failing calls
// say, most frequent first: the words an on-call engineer searches logs
// and issue trackers for.
func failuresStep(g *topology.Graph, n topology.Node, cfg *config.Config, refs map[string]string) (Step, bool) {
	var seen []sighting
	var other int64
	for _, op := range n.Operations {
		for _, f := range op.Failures {
			seen = append(seen, sighting{f, "in " + Code(op.Name)})
		}
		other += op.OtherFailures
	}
	if !n.Virtual {
		for _, e := range g.Downstream(n.Name) {
			for _, f := range e.Failures {
				seen = append(seen, sighting{f, "calling " + nodeLink(e.To, refs)})
			}
			other += e.OtherFailures
		}
	}
	if len(seen) == 0 {
		return Step{}, false
	}
	sort.SliceStable(seen, func(i, j int) bool {
		if seen[i].Count != seen[j].Count {
			return seen[i].Count > seen[j].Count
		}
		return seen[i].Pattern < seen[j].Pattern
	})
	var items []string
	for i, s := range seen {
		if i == maxItems {
			for _, r := range seen[maxItems:] {
				other += r.Count
			}
			break
		}
		items = append(items, sightingText(s, cfg))
	}
	if other > 0 {
		items = append(items, fmt.Sprintf("%s more failed %s in other patterns.", HumanCount(other), plural(int(min(other, 2)), "span", "spans")))
	}
	return Step{
		Title: "Read what the failures say",
		Detail: "The most frequent errors in the traces read, with numbers, IDs and quoted values masked so that one cause is one line. " +
			"A new pattern, or one far more frequent than usual, names the cause; search the logs for its example.",
		Items: items,
	}, true
}

func sightingText(s sighting, cfg *config.Config) string {
	trace := Code(s.Trace)
	if u := ExploreURL(cfg.GrafanaURL, cfg.TempoDatasource, s.Trace); u != "" {
		trace = "[" + trace + "](" + u + ")"
	}
	text := fmt.Sprintf("%s: %s %s %s, %s; example trace %s", Code(s.Pattern), HumanCount(s.Count),
		plural(int(min(s.Count, 2)), "failed span", "failed spans"), s.where, seenText(s.Seen), trace)
	if s.Example != s.Pattern {
		text += ", which said " + Code(s.Example)
	}
	return text
}

// seenText dates a sighting to the minute, in UTC.
func seenText(w topology.Window) string {
	const day, minute = "2006-01-02", "2006-01-02 15:04"
	from, to := w.Start.UTC(), w.End.UTC()
	switch {
	case from.Truncate(time.Minute).Equal(to.Truncate(time.Minute)):
		return "at " + from.Format(minute) + " UTC"
	case from.Format(day) == to.Format(day):
		return "from " + from.Format(minute) + " to " + to.Format("15:04") + " UTC"
	}
	return "from " + from.Format(minute) + " to " + to.Format(minute) + " UTC"
}
