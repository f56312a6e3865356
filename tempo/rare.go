package tempo

import (
	"context"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

// Op is one served operation Tempo's metrics saw over the lookback.
type Op struct {
	Service, Name string
	// Match selects its spans; Calls counts them.
	Match []topology.Attr
	Calls int64
}

type opKey struct{ service, op string }

// Operations lists every operation served over the lookback, by TraceQL
// metrics (one query): what a pull must cover.
func (c *Client) Operations(ctx context.Context) ([]Op, error) {
	start, end := c.metricsRange()
	cond, ok := c.queryCondition()
	if !ok {
		return nil, &SourceError{Msg: "--query is more than one spanset filter: TraceQL metrics cannot count what it selects"}
	}
	series, err := c.QueryRange(ctx, `{ `+served+cond+` } | count_over_time() by (resource.service.name, `+opBy+`)`, start, end)
	if err != nil {
		return nil, c.explain("TraceQL metrics", err)
	}
	byKey := map[opKey]*Op{}
	for _, s := range series {
		svc := s.Labels["resource.service.name"]
		if svc == "" {
			continue
		}
		name, match := opOf(s)
		k := opKey{svc, name}
		if byKey[k] == nil {
			byKey[k] = &Op{Service: svc, Name: name, Match: match}
		}
		byKey[k].Calls += int64(s.Sum + 0.5)
	}
	out := make([]Op, 0, len(byKey))
	for _, o := range byKey {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Cover makes the next Stream cover ops: each gets at least
// MinPerOperation traces, or all there are.
func (c *Client) Cover(ops []Op) { c.cover = ops }

// tally counts the served operations of one trace, once each.
func tally(sampled map[opKey]int, td ptrace.Traces) {
	here := map[opKey]bool{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			spans := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				if s.Kind() != ptrace.SpanKindServer && s.Kind() != ptrace.SpanKindConsumer {
					continue
				}
				attrs := map[string]string{}
				for _, key := range []string{"http.route", "http.request.method", "http.method"} {
					if v, ok := s.Attributes().Get(key); ok {
						attrs[key] = v.AsString()
					}
				}
				name, _ := topology.OperationOf(s.Name(), attrs)
				here[opKey{svc.AsString(), name}] = true
			}
		}
	}
	for k := range here {
		sampled[k]++
	}
}

// rareWindows are the searches of their own for the operations sampled
// fewer than MinPerOperation times: the whole lookback, one operation.
func (c *Client) rareWindows(sampled map[opKey]int) []window {
	var out []window
	all := c.windows()
	if len(all) == 0 {
		return nil
	}
	cond, _ := c.queryCondition()
	for _, o := range c.cover {
		have := sampled[opKey{o.Service, o.Name}]
		want := min(int64(c.cfg.MinPerOperation), o.Calls)
		if int64(have) >= want {
			continue
		}
		q := []string{"resource.service.name = " + traceqlString(o.Service), served}
		for _, a := range o.Match {
			if a.Key == "name" {
				q = append(q, "name = "+traceqlString(a.Value))
			} else {
				q = append(q, "span."+a.Key+" = "+traceqlString(a.Value))
			}
		}
		out = append(out, window{start: all[0].start, end: all[len(all)-1].end, budget: c.cfg.MinPerOperation,
			query: "{ " + strings.Join(q, " && ") + cond + " }"})
	}
	return out
}

func (c *Client) opsSampled(sampled map[opKey]int) int {
	n := 0
	for _, o := range c.cover {
		if sampled[opKey{o.Service, o.Name}] > 0 {
			n++
		}
	}
	return n
}
