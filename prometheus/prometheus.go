// Package prometheus reads the exact numbers of a graph's nodes and edges
// from the span-metrics and service-graph series in Prometheus (or Mimir,
// or Grafana Cloud Metrics): the very series the generated alerts read,
// so thresholds and alerts agree by construction.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/internal/tlsconf"
	"github.com/rbgen/rbgen/topology"
)

// Config says where Prometheus is and what to ask.
type Config struct {
	URL string
	// Tenant is sent as X-Scope-OrgID (Mimir, Grafana Cloud).
	Tenant                string
	Token, User, Password string
	TLS                   tlsconf.Files
	// End and Lookback are the range the numbers cover.
	End      time.Time
	Lookback time.Duration
	// Timeout bounds each query (default 30s).
	Timeout time.Duration
}

// Client asks one Prometheus.
type Client struct {
	cfg Config
	api promv1.API
}

// New makes a client; nothing is sent until a query.
func New(cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	tlsCfg, err := cfg.TLS.Build()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsCfg
	c, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: headers{cfg: cfg, next: base}})
	if err != nil {
		return nil, fmt.Errorf("prometheus %q: %w", cfg.URL, err)
	}
	return &Client{cfg: cfg, api: promv1.NewAPI(c)}, nil
}

// headers adds the tenant and credentials to every request.
type headers struct {
	cfg  Config
	next http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if h.cfg.Tenant != "" {
		r.Header.Set("X-Scope-OrgID", h.cfg.Tenant)
	}
	switch {
	case h.cfg.Token != "":
		r.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	case h.cfg.User != "" || h.cfg.Password != "":
		r.SetBasicAuth(h.cfg.User, h.cfg.Password)
	}
	return h.next.RoundTrip(r)
}

// Range is the period the numbers cover: the lookback, ending on a
// whole minute.
func (c *Client) Range() topology.Window {
	end := c.cfg.End.UTC().Truncate(time.Minute)
	return topology.Window{Start: end.Add(-c.cfg.Lookback), End: end}
}

// Measure asks for the calls, errors and p50/p95/p99 of each node and edge,
// by the graph's names, from the series their targets select.
func (c *Client) Measure(ctx context.Context, nodes map[string]alerts.Target, edges map[[2]string]alerts.Target) (topology.Measured, error) {
	m := topology.Measured{Source: topology.StatsPrometheus, Window: c.Range(), Nodes: map[string]topology.Stats{}, Edges: map[[2]string]topology.Stats{}}
	for name, t := range nodes {
		s, ok, err := c.stats(ctx, t)
		if err != nil {
			return m, fmt.Errorf("measure %s: %w", name, err)
		}
		if ok {
			m.Nodes[name] = s
		}
	}
	for e, t := range edges {
		s, ok, err := c.stats(ctx, t)
		if err != nil {
			return m, fmt.Errorf("measure %s → %s: %w", e[0], e[1], err)
		}
		if ok {
			m.Edges[e] = s
		}
	}
	return m, nil
}

// stats are one target's numbers; ok is false when no series holds any
// call over the range.
func (c *Client) stats(ctx context.Context, t alerts.Target) (topology.Stats, bool, error) {
	r := alerts.Duration(c.cfg.Lookback)
	calls, err := c.scalar(ctx, "sum("+counted(t.Calls, t.Selector, r)+")")
	if err != nil || calls == 0 {
		return topology.Stats{}, false, err
	}
	errs, err := c.scalar(ctx, "sum("+counted(t.ErrorCalls, t.ErrorSelector, r)+")")
	if err != nil {
		return topology.Stats{}, false, err
	}
	s := topology.Stats{Calls: int64(math.Round(calls)), Errors: int64(math.Round(errs))}
	for _, q := range []struct {
		q   float64
		dst *float64
	}{{0.5, &s.P50MS}, {0.95, &s.P95MS}, {0.99, &s.P99MS}} {
		v, err := c.scalar(ctx, fmt.Sprintf("histogram_quantile(%g, sum by (le) (%s))", q.q, counted(t.Bucket, t.Selector, r)))
		if err != nil {
			return topology.Stats{}, false, err
		}
		*q.dst = math.Round(v*t.Unit*1000*1000) / 1000
	}
	return s, true, nil
}

// counted is what each counter series of metric{selector} counted over
// the range r: its increase when it was there at the start, else its last
// value, for a series born inside the range started from zero. increase()
// alone misses a new series' first count, because the metrics-generator
// writes no zero sample before it.
func counted(metric, selector, r string) string {
	x := metric + "{" + selector + "}"
	return fmt.Sprintf("(increase(%s[%s]) and %s offset %s) or (last_over_time(%s[%s]) unless %s offset %s)", x, r, x, r, x, r, x, r)
}

// scalar runs an instant query at the range's end and returns its one
// value (0 for an empty or NaN result).
func (c *Client) scalar(ctx context.Context, q string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	v, _, err := c.api.Query(ctx, q, c.Range().End)
	if err != nil {
		return 0, explain(c.cfg, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return 0, fmt.Errorf("query %s: a %s, not a vector", q, v.Type())
	}
	if len(vec) == 0 || math.IsNaN(float64(vec[0].Value)) {
		return 0, nil
	}
	return float64(vec[0].Value), nil
}

// Error is a Prometheus that could not answer, with what to check.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg + ": " + e.Err.Error() }

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Err }

// explain says what to check when Prometheus cannot answer.
func explain(cfg Config, err error) error {
	var apiErr *promv1.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Type == promv1.ErrBadData:
		return &Error{Msg: fmt.Sprintf("prometheus %s rejected a query", cfg.URL), Err: err}
	case strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "403"):
		return &Error{Msg: fmt.Sprintf("prometheus %s refused rbgen (check the token or credentials, and the tenant)", cfg.URL), Err: err}
	}
	return &Error{Msg: fmt.Sprintf("cannot query prometheus at %s (is it running, and is --prometheus its API's base URL?)", cfg.URL), Err: err}
}

// Replay evaluates an alert's expression at every step from `from` to
// `to` (query_range), as the rule would have been evaluated: true where
// it returned any sample.
func (c *Client) Replay(ctx context.Context, expr string, from, to time.Time, step time.Duration) ([]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*c.cfg.Timeout)
	defer cancel()
	v, _, err := c.api.QueryRange(ctx, expr, promv1.Range{Start: from, End: to, Step: step})
	if err != nil {
		return nil, explain(c.cfg, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("replay: a %s, not a matrix", v.Type())
	}
	held := make([]bool, int(to.Sub(from)/step)+1)
	for _, s := range m {
		for _, p := range s.Values {
			if i := int(p.Timestamp.Time().Sub(from) / step); i >= 0 && i < len(held) {
				held[i] = true
			}
		}
	}
	return held, nil
}
