package topology

import (
	"slices"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Version is one service.version a service ran in the traces read: a
// deploy shows as a version first seen, a canary as two versions seen
// together.
type Version struct {
	Version   string    `json:"version"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Spans counts every span its processes sent; Requests the requests
	// they served (as the node's calls count them) and Failed those that
	// failed.
	Spans    int64 `json:"spans"`
	Requests int64 `json:"requests"`
	Failed   int64 `json:"failed"`
}

// FailedRatio is the share of the version's requests that failed.
func (v Version) FailedRatio() float64 {
	if v.Requests == 0 {
		return 0
	}
	return float64(v.Failed) / float64(v.Requests)
}

// Workload is a Kubernetes workload a service's spans came from, as the
// resource's k8s.* attributes name it.
type Workload struct {
	Namespace string `json:"namespace"`
	// Kind is deployment, statefulset or daemonset; "" when the spans name
	// only pods.
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	// Pods are the pod names seen, sorted, at most MaxPods of them;
	// PodsSeen counts them all up to the cap the builder keeps.
	Pods      []string  `json:"pods,omitempty"`
	PodsSeen  int       `json:"pods_seen"`
	Spans     int64     `json:"spans"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Bounds on what is kept of releases per node: past them the rest are
// folded into OtherName (versions) or not kept (workloads, pods, hosts).
const (
	maxVersions  = 20
	maxWorkloads = 10
	maxPodsKept  = 64
	// MaxPods is how many pod or host names a node's export lists.
	MaxPods = 8
)

// span time seen, in unix nanoseconds: the earliest start, the latest end.
type seenRange struct{ first, last uint64 }

func (r *seenRange) see(s *Span) {
	if s.Start != 0 && (r.first == 0 || s.Start < r.first) {
		r.first = s.Start
	}
	if s.End > r.last {
		r.last = s.End
	}
}

// versionAcc counts one version of a service as its spans arrive.
type versionAcc struct {
	Version
	seenRange
}

func (v *versionAcc) see(s *Span) {
	v.Spans++
	v.seenRange.see(s)
}

// workloadAcc counts one workload of a service as its spans arrive.
type workloadAcc struct {
	Workload
	seenRange
	pods map[string]struct{}
}

func (w *workloadAcc) see(s *Span) {
	w.Spans++
	w.seenRange.see(s)
}

// workloadKinds are the controller attributes that name a workload, in the
// order a pod's owner is looked for.
var workloadKinds = []struct{ attr, kind string }{
	{"k8s.deployment.name", "deployment"},
	{"k8s.statefulset.name", "statefulset"},
	{"k8s.daemonset.name", "daemonset"},
}

// releaseFacts are what a resource says of its release and where it runs,
// read on a decoding worker; "" for what it does not say.
type releaseFacts struct {
	version, namespace, kind, workload, pod, podIP, host string
}

// releaseOf reads a resource's release facts, each string owned.
func releaseOf(attrs keyed, in *Interner) releaseFacts {
	f := releaseFacts{
		version: validUTF8(str(attrs, attrServiceVersion)),
		podIP:   str(attrs, attrK8sPodIP),
		host:    validUTF8(str(attrs, attrHostName)),
	}
	if f.namespace = validUTF8(str(attrs, attrK8sNamespace)); f.namespace != "" {
		for _, k := range workloadKinds {
			if v := validUTF8(str(attrs, k.attr)); v != "" {
				f.kind, f.workload = k.kind, v
				break
			}
		}
		f.pod = validUTF8(str(attrs, attrK8sPod))
	}
	for _, p := range []*string{&f.version, &f.namespace, &f.workload, &f.pod, &f.podIP, &f.host} {
		*p = in.Own(*p)
	}
	return f
}

// release files a resource under its service's version and workload and
// returns them, nil for what the resource does not name.
func (a *accumulator) release(service string, f *releaseFacts) (*versionAcc, *workloadAcc) {
	n := a.service(service)
	var ver *versionAcc
	if f.version != "" {
		ver = n.version(f.version)
	}
	var wl *workloadAcc
	if f.namespace != "" {
		wl = n.workload(f.namespace, f.kind, f.workload)
		if f.pod != "" && wl != nil && len(wl.pods) < maxPodsKept {
			wl.pods[f.pod] = struct{}{}
		}
	}
	a.learnAddr(f.podIP, service)
	if f.host != "" && len(n.hosts) < maxPodsKept {
		n.hosts[f.host] = struct{}{}
	}
	return ver, wl
}

func (n *nodeAcc) version(v string) *versionAcc {
	acc := n.versions[v]
	if acc == nil {
		if len(n.versions) >= maxVersions {
			v = OtherName
			acc = n.versions[v]
		}
		if acc == nil {
			acc = &versionAcc{Version: Version{Version: v}}
			n.versions[v] = acc
		}
	}
	return acc
}

// workloadKey names a workload in a node's map.
type workloadKey struct{ namespace, kind, name string }

func (n *nodeAcc) workload(ns, kind, name string) *workloadAcc {
	key := workloadKey{ns, kind, name}
	acc := n.workloads[key]
	if acc == nil {
		if len(n.workloads) >= maxWorkloads {
			return nil
		}
		acc = &workloadAcc{Workload: Workload{Namespace: ns, Kind: kind, Name: name}, pods: map[string]struct{}{}}
		n.workloads[key] = acc
	}
	return acc
}

// exportReleases fills the node's versions (by first seen), workloads (by
// spans) and hosts.
func (n *nodeAcc) exportReleases(out *Node) {
	for _, v := range n.versions {
		x := v.Version
		x.FirstSeen, x.LastSeen = unixNano(v.first), unixNano(v.last)
		out.Versions = append(out.Versions, x)
	}
	sort.Slice(out.Versions, func(i, j int) bool {
		x, y := out.Versions[i], out.Versions[j]
		if !x.FirstSeen.Equal(y.FirstSeen) {
			return x.FirstSeen.Before(y.FirstSeen)
		}
		return x.Version < y.Version
	})
	for _, w := range n.workloads {
		x := w.Workload
		x.FirstSeen, x.LastSeen = unixNano(w.first), unixNano(w.last)
		x.PodsSeen = len(w.pods)
		x.Pods = firstNames(w.pods)
		out.Workloads = append(out.Workloads, x)
	}
	sort.Slice(out.Workloads, func(i, j int) bool {
		x, y := out.Workloads[i], out.Workloads[j]
		if x.Spans != y.Spans {
			return x.Spans > y.Spans
		}
		return x.Namespace+"/"+x.Kind+"/"+x.Name < y.Namespace+"/"+y.Kind+"/"+y.Name
	})
	out.Hosts = firstNames(n.hosts)
}

// firstNames lists up to MaxPods names of a set, sorted.
func firstNames(set map[string]struct{}) []string {
	if len(set) == 0 {
		return nil
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	slices.SortFunc(names, strings.Compare)
	if len(names) > MaxPods {
		names = names[:MaxPods]
	}
	return names
}

// attrSet is a set of telling attributes (a resource's, or a serving
// span's), interned so that spans share it.
type attrSet struct{ attrs []Attr }

// maxResources bounds the distinct resources interned; past it spans of
// new resources keep no attributes.
const maxResources = 1 << 12

// maxResourceValue is the longest value kept: longer ones are free text.
const maxResourceValue = 80

// tellingResource appends a resource's telling attributes to buf.
func tellingResource(buf []Attr, res Attributes) []Attr {
	for _, kv := range res {
		if telling(kv.Key) {
			if s := kv.Value.AsString(); s != "" && len(s) <= maxResourceValue {
				buf = append(buf, Attr{Key: kv.Key, Value: s})
			}
		}
	}
	return buf
}

// internKey sorts a set of attributes by key and appends the key it is
// interned under to buf. Decoding workers do this part, in prepare.
func internKey(buf []byte, attrs []Attr) []byte {
	slices.SortFunc(attrs, func(x, y Attr) int { return strings.Compare(x.Key, y.Key) })
	for _, at := range attrs {
		buf = append(append(append(append(buf, at.Key...), 0), at.Value...), 0)
	}
	return buf
}

// intern returns the shared copy of a set of attributes sorted by
// internKey, making one (its strings copied, so they do not keep a batch
// alive) if the table has room; nil for an empty set or a full table.
func (a *accumulator) intern(table map[string]*attrSet, attrs []Attr, key []byte, capacity int) *attrSet {
	if len(attrs) == 0 {
		return nil
	}
	// On every serving span: no allocation unless the set is new.
	if r, ok := table[string(key)]; ok {
		return r
	}
	if len(table) >= capacity {
		return nil
	}
	own := make([]Attr, len(attrs))
	for i, at := range attrs {
		own[i] = Attr{Key: strings.Clone(validUTF8(at.Key)), Value: strings.Clone(validUTF8(at.Value))}
	}
	r := &attrSet{attrs: own}
	table[string(key)] = r
	return r
}

// telling says a resource attribute may tell requests apart: not the
// service's name (the same on every span of it), not an identifier that
// is different for every process, not a command line.
func telling(k string) bool {
	switch k {
	case "service.name", "service.namespace", "service.instance.id", "process.pid", "process.parent_pid",
		"process.command", "process.command_line", "process.command_args", "process.executable.path", "os.description":
		return false
	}
	return !strings.HasSuffix(k, ".id") && !strings.HasSuffix(k, ".uid")
}

// maxTags bounds the attributes kept of one span, maxTagSets the distinct
// sets interned (past it spans keep none).
const (
	maxTags    = 6
	maxTagSets = 1 << 14
	maxTagLen  = 40
)

// tellingTags appends a serving span's telling attributes to buf, at
// most maxTags of them.
func tellingTags(buf []Attr, m Attributes) []Attr {
	n := 0
	for _, kv := range m {
		if n == maxTags {
			break
		}
		if !tellingTag(kv.Key) {
			continue
		}
		var s string
		switch kv.Value.Type {
		case pcommon.ValueTypeStr:
			s = kv.Value.Str
		case pcommon.ValueTypeBool, pcommon.ValueTypeInt:
			s = kv.Value.AsString()
		default:
			continue
		}
		if s != "" && len(s) <= maxTagLen {
			buf = append(buf, Attr{Key: kv.Key, Value: s})
			n++
		}
	}
	return buf
}

// tellingTag says a span attribute may tell requests apart: not what
// names the operation already, not identifiers, addresses, URLs,
// statements, code locations or sizes, nor the status that says the
// request failed.
func tellingTag(k string) bool {
	switch k {
	case "http.route", "http.request.method", "http.method", "http.target", "http.url", "url.full", "url.path", "url.query", "db.statement", "db.query.text",
		"rpc.service", "rpc.method", "server.port", "client.port", "client.address", "net.peer.port", "net.host.port",
		"thread.name", "user_agent.original", "http.user_agent",
		// The outcome itself: a failing request's status says it failed,
		// not why.
		"http.response.status_code", "http.status_code", "rpc.grpc.status_code", "otel.status_code",
		"otel.status_description", "error", "error.type", "error.message":
		return false
	}
	for _, prefix := range []string{"network.", "net.sock.", "code.", "exception.", "thread.", "http.request.header.", "http.response.header."} {
		if strings.HasPrefix(k, prefix) {
			return false
		}
	}
	for _, suffix := range []string{".id", ".uid", "_id", ".size", ".length", ".count", "_size", ".bytes", ".offset"} {
		if strings.HasSuffix(k, suffix) {
			return false
		}
	}
	return true
}
