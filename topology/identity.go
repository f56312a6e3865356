package topology

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Merge is one node the builder folded into another, and why: the graph
// says so, so that a runbook can say it too.
type Merge struct {
	From   string `json:"from"`
	Into   string `json:"into"`
	Reason string `json:"reason"`
}

// Why nodes merge.
const (
	MergeAlias   = "alias"       // the aliases: config
	MergeAddress = "address"     // another span names the address
	MergeSubnet  = "subnet"      // an address only: grouped by subnet
	MergeCase    = "letter case" // the same name in other letter case
)

// maxAddrNames bounds the address → name map learned from the spans.
const maxAddrNames = 1 << 14

// learnAddr notes that addr is name: a client span named its peer and gave
// its address too, or a resource gave its own pod or host IP.
func (a *accumulator) learnAddr(addr, name string) {
	if addr == "" || name == "" || isIP(name) {
		return
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	if _, ok := a.addrNames[addr]; !ok && len(a.addrNames) >= maxAddrNames {
		return
	}
	// The smallest name wins, so the answer does not depend on order.
	if old, ok := a.addrNames[addr]; !ok || name < old {
		a.addrNames[addr] = name
	}
}

// settleIdentity gives every node its final name: aliases from the
// config, addresses another span names, addresses alone grouped by
// subnet, names that differ only by letter case as one, then aliases once
// more for names the earlier steps made.
func (a *accumulator) settleIdentity() {
	a.applyAliases()
	for _, n := range a.sortedNodes() {
		if n.owns || n.ip == "" {
			continue
		}
		host := n.ip
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		suffix := strings.TrimPrefix(n.name, n.ip)
		if name, ok := a.addrNames[host]; ok {
			a.mergeNode(n, name+suffix, MergeAddress)
		} else if sub := subnet(host); sub != "" && (n.vkind == KindExternal || n.vkind == "") {
			// Pods come and go; a database at an address is one instance.
			a.mergeNode(n, sub+suffix, MergeSubnet)
			if to := a.nodes[sub+suffix]; to != nil {
				to.match = subnetMatch(to.match, sub)
			}
		}
	}
	a.mergeCase()
	a.applyAliases()
}

// subnet is the /16 (IPv4) or /64 (IPv6) an address is in: pod addresses
// change with every reschedule, the cluster's ranges do not.
func subnet(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	bits := 64
	if ip.Is4() || ip.Is4In6() {
		ip, bits = ip.Unmap(), 16
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// RegexSuffix ends a match key whose value is a regular expression: a
// subnet's node matches every address in it.
const RegexSuffix = " =~"

// subnetMatch selects a subnet's calls by the attribute that named its
// first address, as a pattern for every address in an IPv4 /16; an IPv6
// subnet, whose addresses have many spellings, keeps the first address.
func subnetMatch(match []Attr, prefix string) []Attr {
	if len(match) == 0 || strings.HasSuffix(match[0].Key, RegexSuffix) {
		return match
	}
	p, err := netip.ParsePrefix(prefix)
	if err != nil || !p.Addr().Is4() {
		return match
	}
	b := p.Addr().As4()
	key := strings.TrimSuffix(match[0].Key, " host")
	re := regexp.QuoteMeta(fmt.Sprintf("%d.%d.", b[0], b[1])) + `[0-9]+\.[0-9]+(:[0-9]+)?`
	if strings.HasSuffix(match[0].Key, " host") {
		// The host inside a URL attribute.
		re = `[a-z]+://` + re + `([/?#].*)?`
	}
	return []Attr{{Key: key + RegexSuffix, Value: re}}
}

func (a *accumulator) applyAliases() {
	if len(a.opt.Aliases) == 0 {
		return
	}
	var globs []string
	for k := range a.opt.Aliases {
		if strings.ContainsAny(k, "*?[") {
			globs = append(globs, k)
		}
	}
	slices.Sort(globs)
	for _, n := range a.sortedNodes() {
		to, ok := a.opt.Aliases[n.name]
		for _, g := range globs {
			if ok {
				break
			}
			if m, _ := path.Match(g, n.name); m {
				to, ok = a.opt.Aliases[g], true
			}
		}
		if ok && to != "" {
			a.mergeNode(n, to, MergeAlias)
		}
	}
}

// mergeCase folds names that differ only by letter case into the one with
// the most calls (then the first in byte order).
func (a *accumulator) mergeCase() {
	groups := map[string][]*nodeAcc{}
	for _, n := range a.sortedNodes() {
		k := strings.ToLower(n.name)
		groups[k] = append(groups[k], n)
	}
	for _, k := range sortedKeys(groups) {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		best := g[0]
		for _, n := range g[1:] {
			if n.stats.Calls > best.stats.Calls {
				best = n
			}
		}
		for _, n := range g {
			if n != best {
				a.mergeNode(n, best.name, MergeCase)
			}
		}
	}
}

func (a *accumulator) sortedNodes() []*nodeAcc {
	out := make([]*nodeAcc, 0, len(a.nodes))
	for _, k := range sortedKeys(a.nodes) {
		out = append(out, a.nodes[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// mergeNode folds n into the node called into, creating it by renaming n
// when there is none: its calls, operations, versions, edges and entry
// points all move.
func (a *accumulator) mergeNode(n *nodeAcc, into, reason string) {
	if n.name == into || a.nodes[n.name] != n {
		return
	}
	a.merged = append(a.merged, Merge{From: n.name, Into: into, Reason: reason})
	old := n.name
	delete(a.nodes, old)
	if to := a.nodes[into]; to != nil {
		to.absorb(n)
		a.moveEdges(n, to)
	} else {
		n.name, n.ip = into, ""
		a.nodes[into] = n
	}
	a.moveEntries(old, into)
}

// absorb adds o's calls and facts to n.
func (n *nodeAcc) absorb(o *nodeAcc) {
	n.owns = n.owns || o.owns
	n.receives = n.receives || o.receives
	n.kinds |= o.kinds
	n.virtualKind(o.vkind)
	if n.namespace == "" {
		n.namespace = o.namespace
	}
	if n.system == "" {
		n.system = o.system
	}
	if n.match == nil {
		n.match = o.match
	}
	n.stats.Merge(&o.stats)
	for name, op := range o.ops {
		if mine := n.ops[name]; mine != nil {
			mine.Tally.Merge(&op.Tally)
			mine.fails.merge(&op.fails)
		} else {
			n.ops[name] = op
		}
	}
	for k, c := range o.reach {
		n.reach[k] += c
	}
	for k, v := range o.versions {
		mine := n.versions[k]
		if mine == nil {
			n.versions[k] = v
			continue
		}
		mine.Spans += v.Spans
		mine.Requests += v.Requests
		mine.Failed += v.Failed
		if v.first != 0 && (mine.first == 0 || v.first < mine.first) {
			mine.first = v.first
		}
		mine.last = max(mine.last, v.last)
	}
	for k, w := range o.workloads {
		if _, ok := n.workloads[k]; !ok && len(n.workloads) < maxWorkloads {
			n.workloads[k] = w
		}
	}
	for h := range o.hosts {
		if len(n.hosts) < maxPodsKept {
			n.hosts[h] = struct{}{}
		}
	}
}

func (f *failAcc) merge(o *failAcc) {
	f.other += o.other
	for k, e := range o.patterns {
		mine := f.patterns[k]
		switch {
		case mine != nil:
			mine.Count += e.Count
			if e.first < mine.first {
				mine.first = e.first
			}
			mine.last = max(mine.last, e.last)
		case len(f.patterns) < maxPatternsKept:
			if f.patterns == nil {
				f.patterns = map[string]*failEntry{}
			}
			f.patterns[k] = e
		default:
			f.other += e.Count
		}
	}
}

// moveEdges points every edge at from to to, merging with edges already
// there.
func (a *accumulator) moveEdges(from, to *nodeAcc) {
	var moved []*edgeAcc
	for k, e := range a.edges {
		if k.from == from || k.to == from {
			delete(a.edges, k)
			moved = append(moved, e)
		}
	}
	for _, e := range moved {
		k := e.key
		if k.from == from {
			k.from = to
		}
		if k.to == from {
			k.to = to
		}
		if mine := a.edges[k]; mine != nil {
			for kind, c := range e.kinds {
				mine.kinds[kind] += c
			}
			mine.stats.Merge(&e.stats)
			mine.fails.merge(&e.fails)
			continue
		}
		e.key = k
		a.edges[k] = e
	}
}

// moveEntries renames the entry points a merged service served, and the
// shares of them every node counts.
func (a *accumulator) moveEntries(from, into string) {
	for _, name := range sortedKeys(a.entries) {
		ep := a.entries[name]
		if ep.Service != from {
			continue
		}
		newName := into + ": " + ep.Operation
		delete(a.entries, name)
		if mine := a.entries[newName]; mine != nil {
			mine.Traces += ep.Traces
		} else {
			ep.Name, ep.Service = newName, into
			a.entries[newName] = ep
		}
		for _, n := range a.nodes {
			if c, ok := n.reach[name]; ok {
				delete(n.reach, name)
				n.reach[newName] += c
			}
		}
		if a.user != nil {
			if c, ok := a.user.reach[name]; ok {
				delete(a.user.reach, name)
				a.user.reach[newName] += c
			}
		}
	}
}

// Canonical is the name a node the spans call name has in the graph,
// after every merge.
func (g *Graph) Canonical(name string) string {
	for _, m := range g.Merged {
		if m.From == name {
			name = m.Into
		}
	}
	return name
}
