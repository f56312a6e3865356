package generator

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// overlap is how long two versions may both be seen and still read as one
// replacing the other: a rolling update runs old and new pods for minutes.
const overlap = 15 * time.Minute

// releaseText says which versions a service ran over the traces read, in
// one sentence: "`checkout` ran `1.4.2` until 2026-11-12 10:03 UTC, then
// `1.4.3`." A version seen alongside another for longer than a rollout is
// a canary, and its failures are compared with the others'.
func releaseText(n topology.Node) string {
	vs := n.Versions
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%s ran %s throughout the traces read.", Code(n.Name), Code(vs[0].Version))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s ran %s", Code(n.Name), Code(vs[0].Version))
	for i := 1; i < len(vs); i++ {
		prev, v := vs[i-1], vs[i]
		if v.FirstSeen.Sub(prev.LastSeen) > -overlap {
			fmt.Fprintf(&b, " until %s, then %s", minuteUTC(prev.LastSeen), Code(v.Version))
			if i == len(vs)-1 {
				fmt.Fprintf(&b, " (first seen %s)", minuteUTC(v.FirstSeen))
			}
			continue
		}
		fmt.Fprintf(&b, "; %s ran alongside it from %s to %s, serving %s of its requests in the traces read", Code(v.Version),
			minuteUTC(v.FirstSeen), minuteUTC(v.LastSeen), Percent(requestShare(vs, v)))
	}
	b.WriteString(".")
	if worst, rest, ok := failingVersion(vs); ok {
		others := "the other versions"
		if len(vs) == 2 {
			others = Code(vs[0].Version)
			if vs[0].Version == worst.Version {
				others = Code(vs[1].Version)
			}
		}
		fmt.Fprintf(&b, " %s failed %s of its requests, %s %s: suspect that release.",
			Code(worst.Version), Percent(worst.FailedRatio()), others, Percent(rest))
	}
	return b.String()
}

func requestShare(vs []topology.Version, v topology.Version) float64 {
	var all int64
	for _, x := range vs {
		all += x.Requests
	}
	if all == 0 {
		return 0
	}
	return float64(v.Requests) / float64(all)
}

// failingVersion finds a version whose requests failed at least five times
// as often as the others' together, with enough of them to tell.
func failingVersion(vs []topology.Version) (topology.Version, float64, bool) {
	for _, v := range vs {
		var reqs, failed int64
		for _, x := range vs {
			if x.Version != v.Version {
				reqs += x.Requests
				failed += x.Failed
			}
		}
		if v.Failed < 5 || reqs == 0 {
			continue
		}
		rest := float64(failed) / float64(reqs)
		if v.FailedRatio() >= 5*rest && v.FailedRatio() >= 0.01 {
			return v, rest, true
		}
	}
	return topology.Version{}, 0, false
}

func minuteUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// dns1123 is what Kubernetes accepts as a namespace or workload name: a
// name that passes is safe to paste into a shell unquoted.
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// shortKinds are kubectl's short resource names.
var shortKinds = map[string]string{"deployment": "deploy", "statefulset": "sts", "daemonset": "ds"}

// workloads are the node's Kubernetes workloads that commands can name,
// at most two: a canary deployment beside the main one.
func workloads(n topology.Node) []topology.Workload {
	var out []topology.Workload
	for _, w := range n.Workloads {
		if w.Kind == "" || len(w.Namespace) > 63 || len(w.Name) > 253 || !dns1123.MatchString(w.Namespace) || !dns1123.MatchString(w.Name) {
			continue
		}
		if out = append(out, w); len(out) == 2 {
			break
		}
	}
	return out
}

// kubectl is a command against a workload, as inline code.
func kubectl(w topology.Workload, verb string) string {
	switch verb {
	case "logs":
		return Code(fmt.Sprintf("kubectl -n %s logs %s/%s --all-containers --since=1h", w.Namespace, shortKinds[w.Kind], w.Name))
	case "history", "undo":
		return Code(fmt.Sprintf("kubectl -n %s rollout %s %s/%s", w.Namespace, verb, w.Kind, w.Name))
	case "pods":
		return Code(fmt.Sprintf("kubectl -n %s describe %s/%s", w.Namespace, w.Kind, w.Name))
	}
	return ""
}

// changeItems are the facts behind "Check what changed": the versions the
// node and the services it calls ran, and where to look on Kubernetes.
func changeItems(g *topology.Graph, n topology.Node, refs map[string]string) []string {
	var items []string
	if t := releaseText(n); t != "" {
		items = append(items, t)
	}
	for _, w := range workloads(n) {
		items = append(items, fmt.Sprintf("Its rollouts and pods: %s and %s; its logs: %s.",
			kubectl(w, "history"), kubectl(w, "pods"), kubectl(w, "logs")))
	}
	if pods := podsText(n); pods != "" {
		items = append(items, pods)
	}
	if n.Virtual {
		return items
	}
	for _, e := range g.Downstream(n.Name) {
		dep, ok := g.Node(e.To)
		if !ok || e.To == n.Name || len(dep.Versions) < 2 {
			continue
		}
		items = append(items, "Its dependency "+nodeLink(dep.Name, refs)+": "+releaseText(dep))
	}
	return items
}

// podsText names where the node ran: its pods, or its hosts without them.
func podsText(n topology.Node) string {
	var names []string
	seen := 0
	for _, w := range n.Workloads {
		names = append(names, w.Pods...)
		seen += w.PodsSeen
	}
	what := "pod"
	if len(names) == 0 {
		names, seen, what = n.Hosts, len(n.Hosts), "host"
	}
	switch {
	case len(names) == 0:
		return ""
	case seen == 1:
		return fmt.Sprintf("The traces came from one %s, %s.", what, Code(names[0]))
	}
	if len(names) > topology.MaxPods {
		names = names[:topology.MaxPods]
	}
	var quoted []string
	for _, p := range names {
		quoted = append(quoted, Code(p))
	}
	more := ""
	if seen > len(names) {
		more = fmt.Sprintf(" and %d more", seen-len(names))
	}
	return fmt.Sprintf("The traces came from the %ss %s%s: one of them alone in the failing traces points at that instance.", what, strings.Join(quoted, ", "), more)
}
