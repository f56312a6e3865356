package generator

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/topology"
)

// maxItems bounds each ranked list: an on-call engineer reads the top few.
// Dependencies get more room: missing the one at fault costs more.
const (
	maxItems = 6
	maxDeps  = 10
)

// perRequest says how many calls a request makes, in words.
func perRequest(x float64) string {
	if x > 0.95 && x < 1.05 {
		return "1 call"
	}
	return fmt.Sprintf("%.2g calls", x)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// diagnosis walks the graph from the node outwards: confirm, then the
// node's own operations, then its dependencies ranked by contribution.
func diagnosis(g *topology.Graph, n topology.Node, sc scenario, tr Trigger, cfg *config.Config, refs map[string]string, sys advice) []Step {
	symptom := sc.symptom
	if sc.extra != nil {
		symptom = SymptomErrors
	}
	steps := []Step{confirmStep(n, tr)}
	if symptom != SymptomLatency {
		if st, ok := failuresStep(g, n, cfg, refs); ok {
			steps = append(steps, st)
		}
	}
	if sc.extra != nil {
		for _, d := range sc.extra.Diagnosis {
			steps = append(steps, Step{Title: MD(strings.ReplaceAll(d, "{node}", n.Name))})
		}
	}
	if n.Virtual || n.Kind != topology.KindService {
		steps = append(steps, callersStep(g, n, refs))
	}
	steps = append(steps, operationsStep(n, symptom, tr))
	if isDatastore(n) && symptom != SymptomLatency {
		// Statements that fail are not always the ones that take the time.
		st := operationsStep(n, SymptomLatency, tr)
		st.Title = "Find the " + opNoun(n) + " that take the time"
		steps = append(steps, st)
	}
	if !n.Virtual {
		steps = append(steps, dependenciesStep(g, n, symptom, tr, cfg, refs))
	}
	switch {
	case len(sys.checks) > 0:
		steps = append(steps, Step{Title: "Check " + sys.title + " itself", Detail: sys.note, Items: sys.checks})
	case n.Kind != topology.KindService:
		steps = append(steps, Step{Title: "Check the " + n.Kind + " itself", Items: kindChecks[n.Kind]})
	}
	around := "on the dependencies above"
	if n.Virtual {
		around = "on its callers"
	}
	steps = append(steps, Step{
		Title: "Check what changed",
		Detail: fmt.Sprintf("Look for a deploy, config change, feature flag or traffic shift around the time the alert started, on %s and %s. "+
			"Compare the failing traces with ones from before: a new downstream call, a missing one or a change in fan-out is a change.", Code(n.Name), around),
		Items: changeItems(g, n, refs),
	})
	return steps
}

func confirmStep(n topology.Node, tr Trigger) Step {
	what := "Pick a few recent traces and read the span that fails first, deepest in the tree: its status message and events usually name the cause."
	if tr.LatencyMS > 0 && tr.ErrorRatio == 0 {
		what = "Open the slowest traces and find where the time goes: a single slow child span, many sequential calls, or time in the node itself (gaps between child spans)."
	}
	return Step{Title: "Confirm the symptom in the traces", Detail: what, TraceQL: tr.TraceQL, Explore: tr.ExploreURL}
}

// callersStep ranks who calls a node seen from its callers.
func callersStep(g *topology.Graph, n topology.Node, refs map[string]string) Step {
	up := g.Upstream(n.Name)
	sort.SliceStable(up, func(i, j int) bool {
		if up[i].Errors != up[j].Errors {
			return up[i].Errors > up[j].Errors
		}
		return up[i].Calls > up[j].Calls
	})
	var items []string
	for i, e := range up {
		if i == maxItems {
			break
		}
		items = append(items, fmt.Sprintf("%s: %s calls %s, error ratio %s, p99 %s", nodeLink(e.From, refs), HumanCount(e.Calls), NumbersOf(g).For(e.Stats).In(), Percent(e.ErrorRatio()), Millis(e.P99MS)))
	}
	return Step{
		Title:  "See which callers are affected",
		Detail: "If only one caller sees failures, the problem is likely on its side (its connection pool, its queries, its network path); if all do, it is the " + n.Kind + ".",
		Items:  items,
	}
}

// operationsStep ranks the node's operations by their share of errors, or
// of time spent for latency.
func operationsStep(n topology.Node, symptom string, tr Trigger) Step {
	ops := append([]topology.Operation(nil), n.Operations...)
	var total float64
	share := func(o topology.Operation) float64 {
		if symptom == SymptomLatency {
			return float64(o.Calls) * o.P50MS
		}
		return float64(o.Errors)
	}
	for _, o := range ops {
		total += share(o)
	}
	sort.SliceStable(ops, func(i, j int) bool {
		if si, sj := share(ops[i]), share(ops[j]); si != sj {
			return si > sj
		}
		return ops[i].Calls > ops[j].Calls
	})
	var items []string
	for i, o := range ops {
		if i == maxItems {
			break
		}
		lead := ""
		if total > 0 {
			if symptom == SymptomLatency {
				lead = Percent(share(o)/total) + " of the time spent; "
			} else {
				lead = Percent(share(o)/total) + " of the errors; "
			}
		}
		item := fmt.Sprintf("%s: %s%s calls, error ratio %s, p50 %s, p99 %s", Code(o.Name), lead,
			HumanCount(o.Calls), Percent(o.ErrorRatio()), Millis(o.P50MS), Millis(o.P99MS))
		if len(o.Match) > 0 {
			item += " — " + Code(TraceQLOperation(n, o, symptom, tr.LatencyMS))
		}
		items = append(items, item)
	}
	what := "Compare each operation with its baseline below. One operation out of line points at its code path or the dependency only it uses; all of them at once points at the node's host or a shared dependency."
	if symptom == SymptomLatency {
		what = "Ranked by share of the time spent in the traces read. " + what
	} else {
		what = "Ranked by share of the errors in the traces read. " + what
	}
	return Step{Title: "Find the " + opNoun(n) + " that " + verb(symptom), Detail: what, Items: items}
}

func verb(symptom string) string {
	if symptom == SymptomLatency {
		return "are slow"
	}
	return "fail"
}

// contribution is what a dependency adds to each request of the node: its
// errors, or the time spent waiting on it (calls per request × p50).
type contribution struct {
	edge    topology.Edge
	perReq  float64 // calls per request of the node
	msPerRq float64
}

func dependencies(g *topology.Graph, n topology.Node, symptom string) []contribution {
	var out []contribution
	for _, e := range g.Downstream(n.Name) {
		if e.To == n.Name {
			continue
		}
		c := contribution{edge: e}
		if n.Calls > 0 {
			c.perReq = float64(e.Calls) / float64(n.Calls)
		}
		if e.Kind != topology.EdgeMessaging {
			// A consumer runs after the request has been answered.
			c.msPerRq = c.perReq * e.P50MS
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if async := a.edge.Kind == topology.EdgeMessaging; async != (b.edge.Kind == topology.EdgeMessaging) {
			return !async // asynchronous work cannot fail or slow the request
		}
		if symptom != SymptomLatency && a.edge.Errors != b.edge.Errors {
			return a.edge.Errors > b.edge.Errors
		}
		if a.msPerRq != b.msPerRq {
			return a.msPerRq > b.msPerRq
		}
		return a.edge.To < b.edge.To
	})
	return out
}

// Dependencies names the node's downstream dependencies in the order the
// diagnosis ranks them.
func Dependencies(g *topology.Graph, node, symptom string) []string {
	n, ok := g.Node(node)
	if !ok {
		return nil
	}
	var out []string
	for _, c := range dependencies(g, n, symptom) {
		out = append(out, c.edge.To)
	}
	return out
}

func dependenciesStep(g *topology.Graph, n topology.Node, symptom string, tr Trigger, cfg *config.Config, refs map[string]string) Step {
	deps := dependencies(g, n, symptom)
	if len(deps) == 0 {
		return Step{
			Title:  "Look inside " + MD(n.Name),
			Detail: "It calls nothing that the traces show, so the cause is in the service itself or its host: CPU and memory saturation, garbage collection, thread or connection pools, locks, or a recent deploy.",
		}
	}
	var items []string
	for i, c := range deps {
		if i == maxDeps {
			var rest []string
			for _, r := range deps[maxDeps:] {
				rest = append(rest, r.edge.To)
			}
			items = append(items, "Added less: "+joinNames(rest, refs)+".")
			break
		}
		dep, _ := g.Node(c.edge.To)
		var item string
		if c.edge.Kind == topology.EdgeMessaging {
			item = fmt.Sprintf("%s (messaging, asynchronous): %s per request; its work happens after the request is answered, so it neither fails nor slows it. Its own failures show up later, in %s",
				nodeLink(dep.Name, refs), perRequest(c.perReq), MD(dep.Name))
		} else {
			item = fmt.Sprintf("%s (%s): %s per request, adding about %s to each (p99 %s per call), error ratio %s",
				nodeLink(dep.Name, refs), c.edge.Kind, perRequest(c.perReq), Millis(c.msPerRq), Millis(c.edge.P99MS), Percent(c.edge.ErrorRatio()))
		}
		item += " — " + Code(TraceQLDownstream(n, dep, symptom, tr.LatencyMS))
		if others := otherCallers(g, dep.Name, n.Name); len(others) > 0 {
			item += fmt.Sprintf(". Shared: %s also %s %s; if their alerts fire too, start with %s.",
				joinNames(others, refs), plural(len(others), "calls", "call"), MD(dep.Name), MD(dep.Name))
		}
		items = append(items, item)
	}
	return Step{
		Title: "Walk down the dependencies",
		Detail: "Ranked by what each added to a request in the traces read" + map[bool]string{true: " (errors first)", false: ""}[symptom != SymptomLatency] +
			". A dependency that now fails or is slow more than its baseline is the likely cause; follow its runbook.",
		Items: items,
	}
}

func otherCallers(g *topology.Graph, dep, self string) []string {
	var out []string
	for _, e := range g.Upstream(dep) {
		if e.From != self {
			if n, ok := g.Node(e.From); ok && n.Kind != topology.KindUser {
				out = append(out, e.From)
			}
		}
	}
	return out
}

func joinNames(names []string, refs map[string]string) string {
	var out []string
	for _, n := range names {
		out = append(out, nodeLink(n, refs))
	}
	if len(out) > 4 {
		out = append(out[:4], fmt.Sprintf("%d more", len(out)-4))
	}
	return strings.Join(out, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// nodeLink names a node, linking to its main runbook when there is one.
func nodeLink(name string, refs map[string]string) string {
	if file, ok := refs[name]; ok {
		return "[" + MD(name) + "](" + file + ")"
	}
	return MD(name)
}

var kindChecks = map[string][]string{
	topology.KindDatabase: {
		"Connections: in use against the pool size and the server's limit.",
		"Slow queries and locks: the slow query log, blocked sessions, long transactions.",
		"Resources: CPU, memory, disk I/O and free space; replication lag on replicas.",
		"Recent schema changes, migrations or index builds.",
	},
	topology.KindCache: {
		"Memory and evictions: a cache that evicts hot keys turns into load on what it caches.",
		"Latency and CPU of the cache server; a single hot key or a large value.",
		"Connection counts and client timeouts; failover or restart events.",
	},
	topology.KindMessaging: {
		"Consumer lag per partition or queue: growing lag means consumers cannot keep up.",
		"Broker health: partition leaders, under-replicated partitions, disk.",
		"Producer errors and retries; message size or rate changes.",
	},
	topology.KindExternal: {
		"The provider's status page and any incident notices.",
		"Rate limiting (HTTP 429), quota and authentication errors (401/403) in the failing spans.",
		"DNS, TLS and egress from your side: proxies, NAT gateways, certificates.",
	},
}

func remediation(n topology.Node, sc scenario, cfg *config.Config, sys advice) []string {
	var out []string
	for _, step := range cfg.Remediation[n.Name][sc.symptom] {
		out = append(out, MD(step))
	}
	if sc.extra != nil {
		for _, step := range sc.extra.Remediation {
			out = append(out, MD(strings.ReplaceAll(step, "{node}", n.Name)))
		}
	}
	if len(sys.remediation) > 0 {
		return append(out, sys.remediation...)
	}
	return append(out, genericRemediation(n, sc.symptom)...)
}

// rollback is the remediation step that undoes a deploy: the kubectl
// commands when the spans name the workload, else the generic advice.
func rollback(n topology.Node, started string) string {
	ws := workloads(n)
	if len(ws) == 0 {
		return "If " + started + " with a deploy of " + MD(n.Name) + ", roll it back."
	}
	var cmds []string
	for _, w := range ws {
		cmds = append(cmds, kubectl(w, "undo"))
	}
	return fmt.Sprintf("If %s with a deploy of %s, roll it back: %s (%s lists the revisions; %s undoes to a given one).",
		started, MD(n.Name), strings.Join(cmds, " or "), kubectl(ws[0], "history"), Code("--to-revision=N"))
}

func genericRemediation(n topology.Node, symptom string) []string {
	name := MD(n.Name)
	switch n.Kind {
	case topology.KindDatabase:
		return []string{
			"Stop the bleeding: cancel runaway queries and long transactions holding locks.",
			"If the primary is unhealthy, fail over to a replica following your database's procedure.",
			"Shed load: pause batch jobs and non-critical callers (see the callers above) before adding capacity.",
			"Add capacity (connections, CPU, IOPS) only once the cause is known.",
		}
	case topology.KindCache:
		return []string{
			"Make sure callers fall back to the source of truth and are not retrying in a tight loop.",
			"Relieve memory pressure: raise the memory limit or evict cold keys; fix the hot key if one dominates.",
			"Restart or fail over the cache node only if it is unresponsive, and warm it gradually to avoid a thundering herd.",
		}
	case topology.KindMessaging:
		return []string{
			"Scale consumers out if lag grows and consumers are healthy.",
			"If consumers fail on specific messages, park them in a dead-letter queue rather than retrying forever.",
			"If the broker is unhealthy, follow its recovery procedure; producers should buffer or back off.",
		}
	case topology.KindExternal:
		return []string{
			"Confirm with the provider (status page, support) and open a ticket with failing request IDs.",
			"Turn on the fallback or degrade the feature that depends on " + name + "; make sure retries back off.",
			"If you are rate-limited, reduce call volume (batching, caching) or request a quota increase.",
		}
	}
	if symptom == SymptomLatency {
		return []string{
			rollback(n, "latency started"),
			"If a dependency above is slow, follow its runbook; tighten timeouts so " + name + " fails fast instead of queueing.",
			"If the service itself is saturated (CPU, memory, GC, pools), scale it out.",
		}
	}
	return []string{
		rollback(n, "errors started"),
		"If a dependency above is failing, follow its runbook; use a circuit breaker or feature flag to stop calling it.",
		"If the service is saturated (CPU, memory, connection or thread pools), scale it out or restart unhealthy instances.",
		"If one entry point drives the errors, rate-limit or shed it to protect the others.",
	}
}

func verification(n topology.Node, sc scenario, tr Trigger) []string {
	var out []string
	if tr.Expr != "" {
		out = append(out, fmt.Sprintf("The alert expression stays under its threshold for %s (the alert resolves).", humanDuration(tr.For)))
	}
	out = append(out, fmt.Sprintf("Error ratio and p99 are back near the baseline: %s.", tr.Baseline))
	if tr.TraceQL != "" {
		out = append(out, "The trigger's TraceQL query finds no new traces over the last 15 minutes.")
	}
	if len(n.EntryPoints) > 0 {
		out = append(out, "The entry points listed under Impact serve requests at their usual error ratio and latency.")
	}
	return out
}

func escalation(g *topology.Graph, n topology.Node, o config.Owner, severity string, cfg *config.Config) []string {
	var out []string
	switch {
	case o.Pager != "":
		out = append(out, fmt.Sprintf("Page the owner, %s, through %s.", ownerName(o), Code(o.Pager)))
	case o.Owner != "" || o.Team != "":
		out = append(out, fmt.Sprintf("Reach the owner, %s.", ownerName(o)))
	default:
		out = append(out, fmt.Sprintf("No owner is configured for %s: add it under %s in rbgen.yaml.", MD(n.Name), Code("owners")))
	}
	if o.Channel != "" {
		out = append(out, fmt.Sprintf("Post status updates in %s.", Code(o.Channel)))
	}
	for _, e := range o.Escalation {
		out = append(out, "If unresolved: "+MD(e)+".")
	}
	if severity == "critical" || severity == "high" {
		callers := otherCallers(g, n.Name, "")
		msg := "This is a " + severity + "-severity node: declare an incident and assign an incident commander"
		if len(callers) > 0 {
			var owners []string
			for _, c := range callers {
				owners = append(owners, MD(c)+" ("+ownerName(cfg.OwnerOf(c, nodeNamespace(g, c)))+")")
			}
			msg += "; tell the owners of its callers: " + strings.Join(owners, ", ")
		}
		out = append(out, msg+".")
	}
	return out
}

func nodeNamespace(g *topology.Graph, name string) string {
	n, _ := g.Node(name)
	return n.Namespace
}

func ownerName(o config.Owner) string {
	switch {
	case o.Owner != "" && o.Team != "":
		return MD(o.Owner) + " (" + MD(o.Team) + ")"
	case o.Owner != "":
		return MD(o.Owner)
	case o.Team != "":
		return MD(o.Team)
	}
	return "unowned"
}

// neighbourhood draws the node, its callers and its dependencies.
func neighbourhood(g *topology.Graph, n topology.Node) string {
	sub := g.Neighbourhood(n.Name)
	var b strings.Builder
	writeMermaid(&b, sub)
	for i, x := range sub.Nodes {
		if x.Name == n.Name {
			fmt.Fprintf(&b, "  style n%d stroke:#dc2626,stroke-width:3px\n", i)
		}
	}
	return b.String()
}
