package topology

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Span is what the builder keeps of one Span while its trace is open: the
// tree shape plus the few facts the rules need, decided while the pdata
// attributes are at hand.
type Span struct {
	ID, Parent pcommon.SpanID
	Service    string
	Op         string // server operation name
	opBy       uint8  // what named op: opSpanName, opRoute or opRPC
	namespace  string // service.namespace of the resource
	Kind       ptrace.SpanKind
	Start, End uint64
	Failed     bool
	proto      string // edge kind its attributes say, "" when they say nothing
	Peer       *Peer  // for CLIENT and PRODUCER spans that name a peer
	caller     string // peer.service on a SERVER span: who called it
	dest       string // messaging destination
	links      []spanKey
	fail       *failure     // why it failed, for failed spans
	ver        *versionAcc  // the release that sent it, nil when unnamed
	wl         *workloadAcc // the Kubernetes workload, nil when unnamed
	res        *attrSet
	tags       *attrSet // telling attributes of a span that serves
}

// Tags are the attributes of a serving span that can tell requests apart
// (status code, method, tenant, region…): IDs, URLs, statements, sizes
// and long values left out. Shared between spans; do not modify.
func (s *Span) Tags() []Attr {
	if s.tags == nil {
		return nil
	}
	return s.tags.attrs
}

// Resource are the attributes of the process that sent the span that can
// tell requests apart (version, pod, host, zone…): identifiers and long
// values are left out. Shared between spans; do not modify.
func (s *Span) Resource() []Attr {
	if s.res == nil {
		return nil
	}
	return s.res.attrs
}

// spanKey names a span across traces, for span links.
type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// Peer is the far side of an outgoing call, as the span's attributes name it.
type Peer struct {
	Name  string
	Kind  string // node kind
	match []Attr // the attributes that named it, for queries
	// ip is the address Name starts with when only an address named the
	// peer; addr the peer's address when a host name named it.
	ip, addr string
	system   string // the database or messaging system, normalised
	// buf holds match, so a peer is one allocation.
	buf [2]Attr
}

// newPeer makes a peer matched by one attribute.
func newPeer(kind, system string, m Attr) *Peer {
	p := &Peer{Kind: kind, system: system}
	p.buf[0] = m
	p.match = p.buf[:1]
	return p
}

// What named an operation.
const (
	opSpanName uint8 = iota
	opRoute
	opRPC
	opDBSummary // db.query.summary
	opDBOp      // db.operation.name, and db.collection.name when given
)

// DurationMS is the span's duration in milliseconds, 0 when its end
// precedes its start.
func (s *Span) DurationMS() float64 {
	if s.End < s.Start {
		return 0
	}
	return float64(s.End-s.Start) / 1e6
}

// Semantic-convention attribute names, current first, then older ones that
// instrumentation still in production sends.
var (
	attrDBSystem   = []string{"db.system.name", "db.system"}
	attrServerAddr = []string{"server.address", "net.peer.name", "peer.hostname"}
	attrConnString = "db.connection_string"
	// Resource and event attributes.
	attrServiceVersion   = "service.version"
	attrK8sNamespace     = "k8s.namespace.name"
	attrK8sPod           = "k8s.pod.name"
	attrK8sPodIP         = "k8s.pod.ip"
	attrHostName         = "host.name"
	attrEnvironment      = []string{"deployment.environment.name", "deployment.environment"}
	attrExceptionType    = "exception.type"
	attrExceptionMessage = "exception.message"
	attrPeerAddr         = []string{"network.peer.address", "net.sock.peer.addr", "net.peer.ip"}
	attrPort             = []string{"server.port", "network.peer.port", "net.peer.port"}
	attrDBNamespace      = []string{"db.namespace", "db.name", "db.instance"}
	attrURL              = []string{"url.full", "http.url"}
	attrHTTPMethod       = []string{"http.request.method", "http.method"}
	attrHTTPStatus       = []string{"http.response.status_code", "http.status_code"}
	attrHTTPAny          = []string{"http.request.method", "http.method", "http.route", "url.full", "http.url", "http.target", "url.path", "http.path", "http.status_code", "http.response.status_code"}
	attrMsgSystem        = []string{"messaging.system"}
	attrMsgDest          = []string{"messaging.destination.name", "messaging.destination"}
	attrRPCSystem        = []string{"rpc.system"}
	attrGRPCStatus       = []string{"rpc.grpc.status_code"}
)

// newSpan reads a span of the service svc (in namespace ns), both valid
// UTF-8 and owned: they are read once per resource.
func newSpan(svc, ns string, s *Record, in *Interner) Span {
	attrs := index(s.Attrs)
	sp := Span{
		ID:        s.ID,
		Parent:    s.Parent,
		Service:   svc,
		namespace: ns,
		Kind:      s.Kind,
		Start:     s.Start,
		End:       s.End,
		dest:      first(attrs, attrMsgDest),
	}
	sp.Failed = failed(s.Status, attrs)
	if sp.Failed {
		sp.fail = failureOf(s, attrs)
	}
	sp.proto = protocol(s.Kind, attrs)
	sp.Op, sp.opBy = operationName(s.Name, attrs, in)
	switch s.Kind {
	case ptrace.SpanKindClient, ptrace.SpanKindProducer:
		sp.Peer = peerOf(s, attrs)
	case ptrace.SpanKindServer:
		sp.caller = str(attrs, "peer.service")
	case ptrace.SpanKindConsumer:
		for _, l := range s.Links {
			sp.links = append(sp.links, spanKey{trace: l.Trace, span: l.Span})
		}
	}
	sp.validNames()
	return sp
}

// validNames makes every name the span gives a node, an operation or a
// destination valid UTF-8 (protobuf input may hold anything): a name is
// then the same in the graph, its JSON, the runbooks and their keys.
func (s *Span) validNames() {
	for _, p := range []*string{&s.Op, &s.caller, &s.dest} {
		*p = validUTF8(*p)
	}
	if s.Peer != nil {
		s.Peer.Name = validUTF8(s.Peer.Name)
	}
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// UnknownService names spans whose resource has no service.name, as the
// OpenTelemetry SDKs do.
const UnknownService = "unknown_service"

func serviceName(res keyed) string {
	if v, ok := res.Get("service.name"); ok && v.Type == pcommon.ValueTypeStr && v.Str != "" {
		return v.Str
	}
	return UnknownService
}

// failed follows OpenTelemetry: an explicit status wins; with none, HTTP 5xx
// and non-OK gRPC codes are failures.
func failed(code ptrace.StatusCode, attrs keyed) bool {
	switch code {
	case ptrace.StatusCodeError:
		return true
	case ptrace.StatusCodeOk:
		return false
	}
	if code, ok := intAttr(attrs, attrHTTPStatus); ok && code >= 500 {
		return true
	}
	if code, ok := intAttr(attrs, attrGRPCStatus); ok && code != 0 {
		return true
	}
	return false
}

// protocol is the edge kind that the span's own kind and attributes say.
func protocol(kind ptrace.SpanKind, attrs keyed) string {
	switch {
	case kind == ptrace.SpanKindProducer || kind == ptrace.SpanKindConsumer || has(attrs, attrMsgSystem):
		return EdgeMessaging
	case has(attrs, attrDBSystem):
		if kindOfSystem(first(attrs, attrDBSystem)) == KindCache {
			return EdgeCache
		}
		return EdgeDatabase
	case has(attrs, attrRPCSystem):
		if first(attrs, attrRPCSystem) == "grpc" {
			return EdgeGRPC
		}
		return EdgeRPC
	case has(attrs, attrGRPCStatus):
		return EdgeGRPC
	case has(attrs, attrHTTPAny):
		return EdgeHTTP
	}
	return ""
}

// operationName names a server operation the way dashboards do: the HTTP
// route (low cardinality by design), then the RPC method, then the span name.
// With in set, joined names come owned from it, without an allocation
// for each span.
func operationName(name string, attrs keyed, in *Interner) (string, uint8) {
	if route := str(attrs, "http.route"); route != "" {
		if m := first(attrs, attrHTTPMethod); m != "" {
			return in.Join(m, " ", route), opRoute
		}
		return route, opRoute
	}
	if svc, m := str(attrs, "rpc.service"), str(attrs, "rpc.method"); svc != "" && m != "" {
		return in.Join(svc, "/", m), opRPC
	}
	// Database calls by what they do, not by a span name that older
	// instrumentation fills with the whole statement.
	if q := str(attrs, "db.query.summary"); q != "" {
		return q, opDBSummary
	}
	if op := str(attrs, "db.operation.name"); op != "" && !strings.Contains(op, " ") {
		if c := str(attrs, "db.collection.name"); c != "" {
			return in.Join(op, " ", c), opDBOp
		}
		return op, opDBOp
	}
	if name == "" {
		return "(unnamed)", opSpanName
	}
	return name, opSpanName
}

// opMatch gives the attributes that select an operation's spans.
func opMatch(op string, by uint8) []Attr {
	switch by {
	case opRoute:
		route := op
		if _, r, ok := strings.Cut(op, " "); ok && strings.HasPrefix(r, "/") {
			route = r
		}
		return []Attr{{Key: "http.route", Value: route}}
	case opRPC:
		i := strings.LastIndex(op, "/")
		return []Attr{{Key: "rpc.service", Value: op[:i]}, {Key: "rpc.method", Value: op[i+1:]}}
	case opDBSummary:
		return []Attr{{Key: "db.query.summary", Value: op}}
	case opDBOp:
		if o, c, ok := strings.Cut(op, " "); ok {
			return []Attr{{Key: "db.operation.name", Value: o}, {Key: "db.collection.name", Value: c}}
		}
		return []Attr{{Key: "db.operation.name", Value: op}}
	}
	if op == "(unnamed)" {
		op = ""
	}
	return []Attr{{Key: "name", Value: op}}
}

// peerOf names the node an outgoing call reaches. One node per real
// instance: peer.service when the caller names it, else the address
// (plus the database namespace), else the database or messaging system.
func peerOf(s *Record, attrs keyed) *Peer {
	system := first(attrs, attrDBSystem)
	msgSystem := first(attrs, attrMsgSystem)
	kind := KindExternal
	switch {
	case system != "":
		kind = kindOfSystem(system)
	case msgSystem != "" || s.Kind == ptrace.SpanKindProducer:
		kind = KindMessaging
	default:
		kind, system = guessKind(s.Name, attrs)
	}
	if system == "" {
		system = msgSystem
	}
	sys := System(system)
	if name, key := firstKey(attrs, []string{"peer.service"}); name != "" {
		p := newPeer(kind, sys, Attr{Key: key, Value: name})
		p.Name = name
		return p
	}
	name, key := peerHost(attrs)
	if name != "" {
		peer := newPeer(kind, sys, Attr{Key: key, Value: name})
		if isIP(name) {
			if port := first(attrs, attrPort); port != "" && !strings.Contains(strings.Trim(name, "[]"), ":") {
				name = net.JoinHostPort(name, port)
			}
			peer.ip = name
		} else {
			peer.addr = first(attrs, attrPeerAddr)
		}
		if ns, nsKey := firstKey(attrs, attrDBNamespace); ns != "" && (kind == KindDatabase || kind == KindCache) {
			name += "/" + ns
			peer.match = append(peer.match, Attr{Key: nsKey, Value: ns})
		}
		peer.Name = name
		return peer
	}
	for _, keys := range [][]string{attrDBSystem, attrMsgSystem} {
		if v, k := firstKey(attrs, keys); v != "" {
			p := newPeer(kind, sys, Attr{Key: k, Value: v})
			p.Name = v
			return p
		}
	}
	return nil
}

// systemKinds maps database and messaging systems (semantic-convention
// values, plus the names older instrumentation uses in span names and the
// "component" tag) to node kinds.
var systemKinds = map[string]string{
	"redis": KindCache, "valkey": KindCache, "memcached": KindCache, "memcache": KindCache,
	"mysql": KindDatabase, "mariadb": KindDatabase, "postgresql": KindDatabase, "postgres": KindDatabase,
	"mongodb": KindDatabase, "cassandra": KindDatabase, "elasticsearch": KindDatabase, "opensearch": KindDatabase,
	"mssql": KindDatabase, "oracle": KindDatabase, "sqlite": KindDatabase, "dynamodb": KindDatabase,
	"couchbase": KindDatabase, "cockroachdb": KindDatabase, "clickhouse": KindDatabase, "sql": KindDatabase,
	"kafka": KindMessaging, "rabbitmq": KindMessaging, "nats": KindMessaging, "aws_sqs": KindMessaging,
	"sqs": KindMessaging, "pulsar": KindMessaging, "activemq": KindMessaging, "gcp_pubsub": KindMessaging,
}

func kindOfSystem(system string) string {
	if k, ok := systemKinds[strings.ToLower(system)]; ok {
		return k
	}
	return KindDatabase
}

// guessKind recognises a datastore from names when no db.system says so
// (OpenTracing-era spans: component=mysql, span name "mongodb.isMaster",
// net.peer.name=redis).
func guessKind(spanName string, attrs keyed) (kind, system string) {
	for _, cand := range []string{str(attrs, "component"), leadingWord(spanName), first(attrs, attrServerAddr), str(attrs, "peer.service")} {
		if k, ok := systemKinds[strings.ToLower(cand)]; ok {
			return k, strings.ToLower(cand)
		}
	}
	return KindExternal, ""
}

// kindOfName is guessKind for a bare service name (HotROD's "redis").
func kindOfName(name string) (string, bool) {
	k, ok := systemKinds[strings.ToLower(leadingWord(name))]
	return k, ok
}

func leadingWord(s string) string {
	if i := strings.IndexAny(s, ". :/-_"); i > 0 {
		return s[:i]
	}
	return s
}

func urlHost(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func str(attrs keyed, key string) string {
	v, ok := attrs.Get(key)
	if !ok {
		return ""
	}
	if v.Type == pcommon.ValueTypeStr {
		return v.Str
	}
	return v.AsString()
}

func first(attrs keyed, keys []string) string {
	v, _ := firstKey(attrs, keys)
	return v
}

// firstKey returns the first non-empty value among keys, and its key.
func firstKey(attrs keyed, keys []string) (string, string) {
	for _, k := range keys {
		if v := str(attrs, k); v != "" {
			return v, k
		}
	}
	return "", ""
}

func has(attrs keyed, keys []string) bool {
	for _, k := range keys {
		if _, ok := attrs.Get(k); ok {
			return true
		}
	}
	return false
}

func intAttr(attrs keyed, keys []string) (int64, bool) {
	for _, k := range keys {
		v, ok := attrs.Get(k)
		if !ok {
			continue
		}
		switch v.Type {
		case pcommon.ValueTypeInt:
			return v.Int(), true
		case pcommon.ValueTypeDouble:
			return int64(v.Double()), true
		case pcommon.ValueTypeStr:
			if n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// peerHost names the host a call went to, by every semantic-conventions
// generation: server.address (1.21+) or net.peer.name (1.20 and before),
// the host of url.full or http.url, of db.connection_string, then the bare
// network.peer.address (1.21+) or net.sock.peer.addr / net.peer.ip.
// It returns the name and the attribute that gave it ("… host" for a host
// taken from inside a value).
func peerHost(attrs keyed) (string, string) {
	if name, key := firstKey(attrs, attrServerAddr); name != "" {
		return name, key
	}
	if raw, k := firstKey(attrs, attrURL); raw != "" {
		if h := urlHost(raw); h != "" {
			return h, k + " host"
		}
	}
	if raw := str(attrs, attrConnString); raw != "" {
		if h := connHost(raw); h != "" {
			return h, "db.connection_string host"
		}
	}
	return firstKey(attrs, attrPeerAddr)
}

// connHost finds the host in a connection string: a URL
// ("postgresql://u@db-1:5432/orders"), key=value pairs as libpq, JDBC
// and ADO.NET write them ("host=db-1 port=5432", "Server=db-1;…"), or a
// JDBC URL ("jdbc:mysql://db-1:3306/shop").
func connHost(raw string) string {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "jdbc:")
	if strings.Contains(raw, "://") {
		return urlHost(raw)
	}
	parts := strings.Fields(raw)
	if strings.Contains(raw, ";") {
		parts = strings.Split(raw, ";")
	}
	for _, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "host", "server", "data source", "hostname", "address", "addr":
			v = strings.TrimPrefix(strings.TrimSpace(v), "tcp:")
			if h, _, err := net.SplitHostPort(v); err == nil {
				return h
			}
			if i := strings.IndexAny(v, ",\\"); i > 0 {
				v = v[:i]
			}
			return v
		}
	}
	return ""
}

// isIP says a name is an IP address, with or without a port.
func isIP(s string) bool {
	// Most names are host names: rule them out without the parsers'
	// error allocations.
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F' || r == '.' || r == ':' || r == '[' || r == ']')
	}) >= 0 {
		return false
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// systemFamilies map system names to the one rbgen's per-system advice
// is written for: forks and renames speak the same protocol and tools.
var systemFamilies = map[string]string{
	"postgres": "postgresql", "cockroachdb": "postgresql", "mariadb": "mysql", "valkey": "redis",
	"opensearch": "elasticsearch", "memcache": "memcached", "mongo": "mongodb",
}

// System normalises a db.system or messaging.system value: lower case,
// forks to the system they follow ("valkey" is "redis"); "" stays "".
func System(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if f, ok := systemFamilies[v]; ok {
		return f
	}
	return v
}
