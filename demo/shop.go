package demo

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// skew is how far each host's clock is off. payment's runs behind, so its
// server spans can start before the client spans that called them, as on a
// real fleet with imperfect NTP.
var skew = map[string]time.Duration{"payment": -4 * time.Millisecond}

// tracer builds one trace.
type tracer struct {
	g     *gen
	trace pcommon.TraceID
	// staging says the trace runs in the staging environment; rels are
	// the processes a canary moved this trace's requests to.
	staging bool
	rels    map[string]*release
}

func (g *gen) newTrace() *tracer {
	var id pcommon.TraceID
	for i := range id {
		id[i] = byte(g.rnd.UintN(256))
	}
	g.stats.Traces++
	return &tracer{g: g, trace: id}
}

func (t *tracer) newSpan(parent *span, service, name string, kind ptrace.SpanKind, at time.Time, attrs ...attr) *span {
	s := &span{trace: t.trace, service: service, name: name, kind: kind, start: at, attrs: attrs, rel: t.rels[service]}
	if s.rel == nil {
		s.rel = t.g.releaseOf(service, t.staging, nil)
	}
	for i := range s.id {
		s.id[i] = byte(t.g.rnd.UintN(256))
	}
	if parent != nil {
		s.parent = parent.id
	}
	return s
}

// finish closes s at end and hands it to its service's exporter.
func (t *tracer) finish(s *span, end time.Time, failed bool, msg string) {
	s.end, s.failed = end, failed
	if failed && s.message == "" {
		s.message = msg
	}
	off := skew[s.service]
	s.start, s.end = s.start.Add(off), s.end.Add(off)
	t.g.emit(s)
}

// ms draws a log-normal latency with the given median: the long right tail
// real services have.
func (g *gen) ms(median, sigma float64) time.Duration {
	v := median * math.Exp(sigma*g.rnd.NormFloat64())
	return time.Duration(v * float64(time.Millisecond))
}

func (g *gen) chance(p float64) bool { return g.rnd.Float64() < p }

// fault returns the fault on node at t, if any, and counts the call
// against it.
func (g *gen) fault(node string, t time.Time) *Fault {
	i := g.faultIndex(node, t)
	if i < 0 {
		return nil
	}
	g.touched[i]++
	return &g.cfg.Faults[i]
}

// ErrIdleFault is returned for a fault that would touch, or touched, no
// call: a misspelt node or a window outside the demo's traffic would
// otherwise give a demo without its incident.
var ErrIdleFault = errors.New("changes nothing")

// Nodes are the names a Fault can take: the shop's services, databases,
// cache and payment provider.
func Nodes() []string {
	return []string{"ad", "api.stripe.com", "auth", "cart", "catalog-db/products", "checkout", "currency", "email",
		"frontend", "fulfillment", "orders-db/orders", "payment", "product-catalog", "recommendation", "redis-main", "shipping"}
}

// checkFaults refuses, before anything is written, a fault on a node the
// shop lacks or outside the days it runs.
func (c Config) checkFaults() error {
	end := c.Start.AddDate(0, 0, c.Days)
	for _, f := range c.Faults {
		if !slices.Contains(Nodes(), f.Node) {
			return fmt.Errorf("fault on %q %w: the shop has no such node (one of %s)", f.Node, ErrIdleFault, strings.Join(Nodes(), ", "))
		}
		if !f.End.After(c.Start) || !f.Start.Before(end) {
			return fmt.Errorf("fault on %q %w: its window %s to %s is outside the demo's, %s to %s", f.Node, ErrIdleFault,
				f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339), c.Start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
	}
	return nil
}

// checkTouched says which fault touched no call once the traffic is
// drawn: its window held no request that reaches its node.
func (g *gen) checkTouched() error {
	for i, f := range g.cfg.Faults {
		if g.touched[i] == 0 {
			return fmt.Errorf("fault on %q %w: no call reached it from %s to %s; widen the window", f.Node, ErrIdleFault,
				f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339))
		}
	}
	return nil
}

// perturb applies a fault on node to one call: extra latency, whether
// the fault makes it fail, and whether it returns at once.
func (g *gen) perturb(node string, at time.Time) (extra time.Duration, failed, early bool) {
	f := g.fault(node, at)
	if f == nil {
		return 0, false, false
	}
	g.stats.FaultedCalls[node]++
	failed = g.chance(f.ErrorRate)
	if f.EarlyReturn > 0 { // no draw otherwise: other faults' traces stay as they were
		early = g.chance(f.EarlyReturn)
	}
	return f.Latency, failed, early
}

const net = 600 * time.Microsecond // one way, inside the cluster

// serveFunc does a server's work from start and returns when it ends and
// whether it failed.
type serveFunc func(srv *span, start time.Time) (time.Time, bool)

// grpc is a gRPC call from one service to another.
func (t *tracer) grpc(parent *span, from, to, method string, at time.Time, serve serveFunc) (time.Time, bool) {
	svc, m, _ := strings.Cut(method, "/")
	rpc := []attr{{"rpc.system", "grpc"}, {"rpc.service", svc}, {"rpc.method", m}}
	cli := t.newSpan(parent, from, method, ptrace.SpanKindClient, at,
		append(rpc, attr{"server.address", to}, attr{"server.port", 50051})...)
	srv := t.newSpan(cli, to, method, ptrace.SpanKindServer, at.Add(net), rpc...)
	end, failed := t.serve(srv, to, serve)
	code := 0
	if failed {
		code = 14 // UNAVAILABLE
	}
	srv.attrs = append(srv.attrs, attr{"rpc.grpc.status_code", code})
	t.finish(srv, end, failed, "upstream failed")
	cli.attrs = append(cli.attrs, attr{"rpc.grpc.status_code", code})
	t.finish(cli, end.Add(net), failed, "rpc error: code = Unavailable")
	return end.Add(net), failed
}

// http is an HTTP call from one service to another.
func (t *tracer) http(parent *span, from, to, method, route string, at time.Time, serve serveFunc) (time.Time, bool) {
	cli := t.newSpan(parent, from, method, ptrace.SpanKindClient, at,
		attr{"http.request.method", method}, attr{"url.full", "http://" + to + ":8080" + route},
		attr{"server.address", to}, attr{"server.port", 8080})
	srv := t.newSpan(cli, to, method+" "+route, ptrace.SpanKindServer, at.Add(net),
		attr{"http.request.method", method}, attr{"http.route", route}, attr{"url.path", route})
	end, failed := t.serve(srv, to, serve)
	status := 200
	if failed {
		status = 500
	}
	srv.attrs = append(srv.attrs, attr{"http.response.status_code", status})
	t.finish(srv, end, failed, "internal server error")
	cli.attrs = append(cli.attrs, attr{"http.response.status_code", status})
	t.finish(cli, end.Add(net), failed, "HTTP 500")
	return end.Add(net), failed
}

// serve runs the server's work, with any fault injected on its service.
func (t *tracer) serve(srv *span, service string, serve serveFunc) (time.Time, bool) {
	if c := t.g.canaryFor(service, srv.start); c != nil && t.g.chance(c.Share) {
		return t.serveCanary(srv, service, c, serve)
	}
	if f := t.g.activeFault(service, srv.start); f != nil && f.OnePod {
		if !t.onPod(srv, service) {
			return serve(srv, srv.start) // a healthy pod
		}
	}
	extra, faulted, early := t.g.perturb(service, srv.start)
	if early {
		return srv.start.Add(200*time.Microsecond + extra), faulted
	}
	end, failed := serve(srv, srv.start)
	return end.Add(extra), failed || faulted
}

// pods are the replicas a one-pod fault spreads a service over; the last
// one is faulty.
var pods = []string{"7c9f8d6b5-x2k4q", "7c9f8d6b5-m8r3t", "7c9f8d6b5-w5n7j", "7c9f8d6b5-b4d9s"}

// onPod moves this request of service to one of its pods, and says
// whether it landed on the faulty one.
func (t *tracer) onPod(srv *span, service string) bool {
	i := t.g.rnd.IntN(len(pods))
	rel := *t.g.releaseOf(service, t.staging, nil)
	rel.pod = service + "-" + pods[i]
	if known, ok := t.g.releases[rel.key()]; ok {
		srv.rel = known
	} else {
		t.g.releases[rel.key()] = &rel
		srv.rel = &rel
	}
	return i == len(pods)-1
}

// activeFault is the fault on node at t, without counting the call.
func (g *gen) activeFault(node string, t time.Time) *Fault {
	if i := g.faultIndex(node, t); i >= 0 {
		return &g.cfg.Faults[i]
	}
	return nil
}

func (g *gen) faultIndex(node string, t time.Time) int {
	for i := range g.cfg.Faults {
		f := &g.cfg.Faults[i]
		if f.Node == node && !t.Before(f.Start) && t.Before(f.End) {
			return i
		}
	}
	return -1
}

// serveCanary serves a request on the canary: its spans come from the
// canary's process, and a share of its requests throw.
func (t *tracer) serveCanary(srv *span, service string, c *Canary, serve serveFunc) (time.Time, bool) {
	if t.rels == nil {
		t.rels = map[string]*release{}
	}
	t.rels[service] = t.g.releaseOf(service, t.staging, c)
	defer delete(t.rels, service)
	srv.rel = t.rels[service]
	if t.g.chance(c.ErrorRate) {
		srv.exception, srv.message = c.Exception, c.Message
		return srv.start.Add(t.g.work(2)), true
	}
	return serve(srv, srv.start)
}

// db is a call to a database or cache, seen only from the client side.
func (t *tracer) db(parent *span, from, system, addr, namespace, op, table string, at time.Time, median float64) time.Time {
	node := addr
	attrs := []attr{{"db.system.name", system}, {"server.address", addr}, {"server.port", dbPort[system]},
		{"db.operation.name", op}}
	if namespace != "" {
		node += "/" + namespace
		attrs = append(attrs, attr{"db.namespace", namespace})
	}
	name := op
	if table != "" {
		name += " " + table
		attrs = append(attrs, attr{"db.collection.name", table})
	}
	s := t.newSpan(parent, from, name, ptrace.SpanKindClient, at, attrs...)
	extra, failed, _ := t.g.perturb(node, at) // a leaf: nothing to return early from
	if system == "redis" && t.g.chance(0.001) {
		failed, extra = true, extra+250*time.Millisecond
	}
	end := at.Add(t.g.ms(median, 0.5) + extra)
	t.finish(s, end, failed, system+" timeout")
	return end
}

var dbPort = map[string]int{"postgresql": 5432, "redis": 6379}

// internal is in-process work worth its own span.
func (t *tracer) internal(parent *span, service, name string, at time.Time, median float64) time.Time {
	s := t.newSpan(parent, service, name, ptrace.SpanKindInternal, at)
	end := at.Add(t.g.ms(median, 0.3))
	t.finish(s, end, false, "")
	return end
}

// work is a server's own processing time.
func (g *gen) work(median float64) time.Duration { return g.ms(median, 0.4) }

// consumerJob is an order waiting on the Kafka topic.
type consumerJob struct {
	at       time.Time
	trace    pcommon.TraceID
	producer pcommon.SpanID
}
