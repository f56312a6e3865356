package tempo

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rbgen/rbgen/topology"
)

// TraceQL pieces of the measure queries. served is a request a service
// served, as the graph counts it; failed is topology's definition of a
// failed span (an error status, or with none set a 5xx or a gRPC code).
const (
	served = `(kind = server || kind = consumer)`
	failed = `(status = error || (status = unset && (span.http.response.status_code >= 500 || span.http.status_code >= 500 || span.rpc.grpc.status_code > 0)))`
	// opBy are the attributes the graph names a served operation by;
	// four, the most a histogram's by() takes.
	opBy = `name, span.http.route, span.http.request.method, span.http.method`
)

// simpleQuery is a TraceQL query that is one spanset filter, whose
// condition the measure queries can carry: {} or { cond }.
var simpleQuery = regexp.MustCompile(`^\{([^{}|]*)\}$`)

// Measure asks Tempo's TraceQL metrics for the exact calls, errors and
// latency histograms over the lookback: of each service and its
// operations, and of the calls from each service to the others. Six
// queries a service, at most Concurrency at a time, each retried like a
// search.
func (c *Client) Measure(ctx context.Context, services []string) (topology.Measured, error) {
	start, end := c.metricsRange()
	m := topology.Measured{Source: topology.StatsTempoMetrics, Window: topology.Window{Start: start, End: end},
		Served: map[string]map[string]*topology.Histogram{}, Calls: map[string]map[string]*topology.Histogram{}}
	cond, ok := c.queryCondition()
	if !ok {
		return m, &SourceError{Msg: fmt.Sprintf("--query %q is more than one spanset filter: TraceQL metrics cannot count what it selects", c.cfg.Query)}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.cfg.Concurrency)
	errs := make([]error, len(services))
	for i, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			ops, calls, err := c.measureService(ctx, svc, cond, start, end)
			if err != nil {
				errs[i] = fmt.Errorf("measure %s: %w", svc, err)
				return
			}
			mu.Lock()
			m.Served[svc], m.Calls[svc] = ops, calls
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return m, c.explain("TraceQL metrics", err)
		}
	}
	return m, nil
}

// MeasureCalled counts the calls to nodes that send no spans (databases,
// caches, external APIs), each selected by a TraceQL condition on its
// callers' client spans: three queries a node, grouped by the calling
// service. It returns each node's numbers and, per node, per caller, the
// edge's.
func (c *Client) MeasureCalled(ctx context.Context, selectors map[string]string) (map[string]*topology.Histogram, map[string]map[string]*topology.Histogram, error) {
	start, end := c.metricsRange()
	cond, ok := c.queryCondition()
	if !ok {
		return nil, nil, &SourceError{Msg: fmt.Sprintf("--query %q is more than one spanset filter: TraceQL metrics cannot count what it selects", c.cfg.Query)}
	}
	nodes, edges := map[string]*topology.Histogram{}, map[string]map[string]*topology.Histogram{}
	for _, name := range slices.Sorted(maps.Keys(selectors)) {
		sel := `{ ` + selectors[name] + cond
		byCaller := map[string]*topology.Histogram{}
		for _, q := range []struct {
			q string
			f func(*topology.Histogram, Series)
		}{
			{sel + ` } | count_over_time() by (resource.service.name)`, addCalls},
			{sel + ` && ` + failed + ` } | count_over_time() by (resource.service.name)`, addErrors},
			{sel + ` } | histogram_over_time(duration) by (resource.service.name)`, addBucket},
		} {
			series, err := c.QueryRange(ctx, q.q, start, end)
			if err != nil {
				return nil, nil, c.explain("TraceQL metrics", fmt.Errorf("measure %s: %w", name, err))
			}
			for _, s := range series {
				caller := s.Labels["resource.service.name"]
				if byCaller[caller] == nil {
					byCaller[caller] = &topology.Histogram{}
				}
				q.f(byCaller[caller], s)
			}
		}
		if len(byCaller) == 0 {
			continue
		}
		total := &topology.Histogram{}
		for _, h := range byCaller {
			total.Add(h)
		}
		nodes[name], edges[name] = total, byCaller
	}
	return nodes, edges, nil
}

// metricsRange is the lookback on whole steps, so that a weekly run asks
// for the same hours whatever minute it starts.
// Answers says whether Tempo serves TraceQL metrics over the lookback: one
// count of every span, which must find some. A Tempo without the
// metrics-generator's local-blocks processor fails it or finds none.
func (c *Client) Answers(ctx context.Context) error {
	start, end := c.metricsRange()
	series, err := c.QueryRange(ctx, "{} | count_over_time()", start, end)
	if err != nil {
		return c.explain("TraceQL metrics", err)
	}
	var spans float64
	for _, s := range series {
		spans += s.Sum
	}
	if spans == 0 {
		return &SourceError{Msg: fmt.Sprintf("TraceQL metrics count no spans from %s to %s: Tempo's metrics-generator needs the local-blocks processor with flush_to_storage (see the README)",
			start.Format(time.RFC3339), end.Format(time.RFC3339))}
	}
	return nil
}

func (c *Client) metricsRange() (time.Time, time.Time) {
	end := c.cfg.End.UTC().Truncate(MetricsStep)
	return end.Add(-c.cfg.Lookback).Truncate(MetricsStep), end
}

// queryCondition is --query's condition, to be and-ed into each spanset
// filter; "" for {}.
func (c *Client) queryCondition() (string, bool) {
	m := simpleQuery.FindStringSubmatch(strings.TrimSpace(c.cfg.Query))
	if m == nil {
		return "", false
	}
	if cond := strings.TrimSpace(m[1]); cond != "" {
		return " && (" + cond + ")", true
	}
	return "", true
}

func (c *Client) measureService(ctx context.Context, svc, cond string, start, end time.Time) (ops, calls map[string]*topology.Histogram, err error) {
	self := `resource.service.name = ` + traceqlString(svc) + cond
	callee := `{ ` + served + ` && resource.service.name != nil` + cond
	queries := []struct {
		q  string
		op func(Series) (string, []topology.Attr)
		to *map[string]*topology.Histogram
		f  func(*topology.Histogram, Series)
	}{
		{`{ ` + self + ` && ` + served + ` } | count_over_time() by (` + opBy + `)`, opOf, &ops, addCalls},
		{`{ ` + self + ` && ` + served + ` && ` + failed + ` } | count_over_time() by (` + opBy + `)`, opOf, &ops, addErrors},
		{`{ ` + self + ` && ` + served + ` } | histogram_over_time(duration) by (` + opBy + `)`, opOf, &ops, addBucket},
		{`{ kind = client && ` + self + ` } > ` + callee + ` } | count_over_time() by (resource.service.name)`, serviceOf, &calls, addCalls},
		{`{ kind = client && ` + self + ` } > ` + callee + ` && ` + failed + ` } | count_over_time() by (resource.service.name)`, serviceOf, &calls, addErrors},
		{`{ kind = client && ` + self + ` } > ` + callee + ` } | histogram_over_time(duration) by (resource.service.name)`, serviceOf, &calls, addBucket},
	}
	ops, calls = map[string]*topology.Histogram{}, map[string]*topology.Histogram{}
	for _, q := range queries {
		series, err := c.QueryRange(ctx, q.q, start, end)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range series {
			key, match := q.op(s)
			h := (*q.to)[key]
			if h == nil {
				h = &topology.Histogram{Match: match}
				(*q.to)[key] = h
			}
			q.f(h, s)
		}
	}
	return ops, calls, nil
}

func opOf(s Series) (string, []topology.Attr) {
	attrs := map[string]string{}
	for _, k := range []string{"span.http.route", "span.http.request.method", "span.http.method"} {
		if v, ok := s.Labels[k]; ok {
			attrs[strings.TrimPrefix(k, "span.")] = v
		}
	}
	return topology.OperationOf(s.Labels["name"], attrs)
}

func serviceOf(s Series) (string, []topology.Attr) { return s.Labels["resource.service.name"], nil }

func addCalls(h *topology.Histogram, s Series)  { h.Calls += int64(s.Sum + 0.5) }
func addErrors(h *topology.Histogram, s Series) { h.Errors += int64(s.Sum + 0.5) }

func addBucket(h *topology.Histogram, s Series) {
	le, err := strconv.ParseFloat(s.Labels["__bucket"], 64)
	if err != nil {
		return
	}
	if h.Buckets == nil {
		h.Buckets = map[float64]int64{}
	}
	h.Buckets[le] += int64(s.Sum + 0.5)
}

// traceqlString quotes s for a query: TraceQL strings escape \ and ".
func traceqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
